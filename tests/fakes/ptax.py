"""A fake of the Banco Central do Brasil's PTAX OData service, validating the query like the
real one: `GET /olinda/servico/PTAX/versao/v1/odata/CotacaoMoedaPeriodo(moeda=@moeda,
dataInicial=@dataInicial,dataFinalCotacao=@dataFinalCotacao)` with `@moeda='USD'`,
`@dataInicial='MM-DD-YYYY'`, `@dataFinalCotacao='MM-DD-YYYY'` and `$format=json`. Each
business day in the range answers an opening bulletin and the closing one
(`tipoBoletim` `Abertura` / `Fechamento`), weekends nothing."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake

PATH = (
    "/olinda/servico/PTAX/versao/v1/odata/CotacaoMoedaPeriodo(moeda=@moeda,"
    "dataInicial=@dataInicial,dataFinalCotacao=@dataFinalCotacao)"
)
DAY = re.compile(r"^'(\d{2})-(\d{2})-(\d{4})'$")


def _day(value: str | None) -> date | None:
    match = DAY.match(value or "")
    if not match:
        return None
    month, day, year = (int(g) for g in match.groups())
    return date(year, month, day)


class FakePtax(ScriptableFake):
    def __init__(self, closing: dict[str, Decimal]) -> None:
        """`closing`: BRL per unit of each currency (the same every business day, plus one
        hundredth per day since 2025-01-01, so days differ)."""
        super().__init__(self._handle)
        self.closing = closing

    def rate(self, currency: str, day: date) -> Decimal:
        return self.closing[currency] + Decimal((day - date(2025, 1, 1)).days) / 100

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if recorded.path != PATH:
            return JSONResponse({"error": "not found"}, status_code=404)
        q = request.query_params
        moeda = q.get("@moeda", "")
        start, end = _day(q.get("@dataInicial")), _day(q.get("@dataFinalCotacao"))
        if (
            q.get("$format") != "json"
            or not re.fullmatch(r"'[A-Z]{3}'", moeda)
            or not start
            or not end
        ):
            return JSONResponse({"error": {"code": "400", "message": "bad query"}}, status_code=400)
        currency = moeda.strip("'")
        if currency not in self.closing:
            return JSONResponse({"value": []})
        values = []
        day = start
        while day <= end:
            if day.weekday() < 5:
                rate = self.rate(currency, day)
                stamp = datetime(day.year, day.month, day.day, 13, 5).isoformat(sep=" ")
                values.append(
                    {
                        "cotacaoVenda": float(rate + Decimal("0.5")),
                        "dataHoraCotacao": stamp.replace("13:05", "10:08") + ".1",
                        "tipoBoletim": "Abertura",
                    }
                )
                values.append(
                    {
                        "cotacaoVenda": float(rate),
                        "dataHoraCotacao": stamp + ".613",
                        "tipoBoletim": "Fechamento",
                    }
                )
            day += timedelta(days=1)
        return JSONResponse(
            {"@odata.context": "https://olinda.bcb.gov.br/$metadata", "value": values}
        )
