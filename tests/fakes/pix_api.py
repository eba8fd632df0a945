"""A fake PSP implementing the Banco Central's standard PIX API (bacen/pix-api):
`POST /oauth/token` (client credentials: HTTP Basic client id and secret, form
`grant_type=client_credentials`), `PUT /v2/cob/{txid}` and `GET /v2/cob/{txid}` with the
Bearer token, checked as the spec says: txid `[a-zA-Z0-9]{26,35}`, `calendario.expiracao`
a positive integer, `valor.original` `\\d{1,10}\\.\\d{2}`, `chave` the receiver's key,
`devedor` with both `nome` and `cpf`/`cnpj` or absent; a second PUT of a txid that is no
longer ATIVA is refused. No mTLS here (the real PSPs require it).

Tests pay a charge (`pay`: CONCLUIDA with a `pix[]` entry), refund it (`refund`) and make
the PSP's webhook (`webhook`: `POST {url}/pix` with `{"pix": [...]}`), or expire tokens."""

from __future__ import annotations

import base64
import itertools
import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake
from tests.fakes.pix_common import Delivery, document_ok, dynamic_brcode

TXID = re.compile(r"^[a-zA-Z0-9]{26,35}$")
VALUE = re.compile(r"^\d{1,10}\.\d{2}$")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakePixApi(ScriptableFake):
    def __init__(self, client_id: str, client_secret: str, pix_key: str) -> None:
        super().__init__(self._handle)
        self.client_id = client_id
        self.client_secret = client_secret
        self.pix_key = pix_key
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.cobs: dict[str, dict[str, Any]] = {}
        self._e2e = itertools.count(1)

    def _problem(self, status: int, title: str, detail: str) -> Response:
        return JSONResponse(
            {
                "type": "https://pix.bcb.gov.br/api/v2/error/" + title,
                "title": title,
                "status": status,
                "detail": detail,
            },
            status,
            media_type="application/problem+json",
        )

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if recorded.method == "POST" and recorded.path == "/oauth/token":
            return self._token(recorded)
        auth = recorded.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return self._problem(401, "NaoAutorizado", "invalid or expired token")
        match = re.fullmatch(r"/v2/cob/([^/]+)", recorded.path)
        if match is None:
            return self._problem(404, "NaoEncontrado", "not found")
        txid = match.group(1)
        if not TXID.match(txid):
            return self._problem(400, "CobOperacaoInvalida", "txid must be [a-zA-Z0-9]{26,35}")
        if recorded.method == "GET":
            cob = self.cobs.get(txid)
            return JSONResponse(cob) if cob else self._problem(404, "CobNaoEncontrado", txid)
        if recorded.method == "PUT":
            return self._put(txid, recorded.json)
        return self._problem(405, "MetodoNaoPermitido", recorded.method)

    def _token(self, recorded: RecordedRequest) -> Response:
        self.token_requests += 1
        basic = (
            "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        )
        if recorded.headers.get("authorization") != basic:
            return JSONResponse({"error": "invalid_client"}, 401)
        form = parse_qs(recorded.body.decode())
        if form.get("grant_type") != ["client_credentials"]:
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": " ".join(form.get("scope", [""])),
            }
        )

    def _put(self, txid: str, body: Any) -> Response:
        if txid in self.cobs and self.cobs[txid]["status"] != "ATIVA":
            return self._problem(400, "CobOperacaoInvalida", "the charge is not ATIVA")
        if not isinstance(body, dict):
            return self._problem(400, "CobOperacaoInvalida", "body must be an object")
        calendar = body.get("calendario") or {}
        if not isinstance(calendar.get("expiracao"), int) or calendar["expiracao"] <= 0:
            return self._problem(400, "CobOperacaoInvalida", "calendario.expiracao")
        value = (body.get("valor") or {}).get("original")
        if not isinstance(value, str) or not VALUE.match(value) or float(value) <= 0:
            return self._problem(400, "CobOperacaoInvalida", "valor.original")
        if body.get("chave") != self.pix_key:
            return self._problem(400, "CobOperacaoInvalida", "chave is not the receiver's")
        debtor = body.get("devedor")
        if debtor is not None:
            document = debtor.get("cpf") or debtor.get("cnpj")
            if not debtor.get("nome") or not document_ok(document):
                return self._problem(400, "CobOperacaoInvalida", "devedor needs nome and cpf/cnpj")
        location = f"pix.psp.example/qr/v2/{txid.lower()}"
        self.cobs[txid] = {
            "calendario": {"criacao": _now(), "expiracao": calendar["expiracao"]},
            "txid": txid,
            "revisao": 0,
            "loc": {"id": len(self.cobs) + 1, "location": location, "tipoCob": "cob"},
            "location": location,
            "status": "ATIVA",
            "valor": {"original": value},
            "chave": body["chave"],
            "solicitacaoPagador": body.get("solicitacaoPagador"),
            "pixCopiaECola": dynamic_brcode(location, value),
        }
        if debtor is not None:
            self.cobs[txid]["devedor"] = debtor
        return JSONResponse(self.cobs[txid], 201)

    def pay(self, txid: str) -> dict[str, Any]:
        cob = self.cobs[txid]
        received = {
            "endToEndId": f"E12345678{datetime.now(UTC):%Y%m%d%H%M}{next(self._e2e):011d}",
            "txid": txid,
            "valor": cob["valor"]["original"],
            "horario": _now(),
        }
        cob["status"] = "CONCLUIDA"
        cob["pix"] = [received]
        return received

    def refund(self, txid: str) -> None:
        cob = self.cobs[txid]
        cob["pix"][0]["devolucoes"] = [
            {
                "id": "D1",
                "rtrId": "D12345678202009091000abcde123456",
                "valor": cob["valor"]["original"],
                "status": "DEVOLVIDO",
                "horario": {"solicitacao": _now(), "liquidacao": _now()},
            }
        ]

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def webhook(self, items: list[dict[str, Any]]) -> Delivery:
        return Delivery(
            path="/api/payments/webhook/pix_api/pix",
            headers={},
            body=orjson.dumps({"pix": items}),
        )
