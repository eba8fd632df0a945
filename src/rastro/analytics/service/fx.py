"""Exchange rates for money in another currency than the organization's (`fx_rates`).

Spend (and platform-reported value) in another currency is converted per day, at the
rate of that day or, on a weekend or holiday, of the last published day up to
`LOOKBACK_DAYS` before; with no rate in that span it stays apart, per currency, as before
(`other_currency_spend`), never summed raw.

Rates come from the Banco Central do Brasil's PTAX (OData `CotacaoMoedaPeriodo`, the
closing bulletin `Fechamento`, `cotacaoVenda` = BRL per unit of the currency); for an
organization in another currency than BRL the cross rate through BRL is kept
(USD→EUR = PTAX(USD) ÷ PTAX(EUR) of the same day). An organization's manual rates win over
fetched ones and a fetch never overwrites them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import structlog
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics.ad_models import CampaignMetric
from rastro.analytics.fx_models import FxRate
from rastro.core.http import HttpClient

log = structlog.get_logger(__name__)

LOOKBACK_DAYS = 7
PTAX_URL = "https://olinda.bcb.gov.br"
PTAX_PATH = "/olinda/servico/PTAX/versao/v1/odata/"
MAX_FETCH_DAYS = 400  # one request per currency and window


class FxSourceError(Exception):
    """The rates source answered badly: nothing is stored from that answer."""


def rate_of(home: str, currency: Any, day: Any) -> ColumnElement[Any]:
    """The rate (units of `home` per unit of `currency`) of `day`, or of the last day with
    one up to `LOOKBACK_DAYS` before (a correlated subquery; NULL when there is none)."""
    r = FxRate.__table__
    return (
        select(r.c.rate)
        .where(
            r.c.base == home,
            r.c.quote == currency,
            r.c.day <= day,
            r.c.day > day - LOOKBACK_DAYS,
        )
        .order_by(r.c.day.desc())
        .limit(1)
        .scalar_subquery()
    )


def home_amount(amount: Any, currency: Any, day: Any, home: str) -> ColumnElement[Any]:
    """`amount` in the organization's currency: as it is in that currency, converted at the
    day's rate in another one, NULL when no rate is known."""
    return case((currency == home, amount), else_=amount * rate_of(home, currency, day))


@dataclass(frozen=True)
class Coverage:
    currency: str
    first_day: date | None
    last_day: date | None
    days: int
    spend_days: int  # days with spend in that currency
    missing_days: int  # of those, days no rate converts


async def coverage(bi: AsyncSession, home: str) -> list[Coverage]:
    """Per foreign currency of the organization's spend: the rates held, and how many days
    of spend stay unconverted for want of one."""
    m = CampaignMetric
    spend_days = (
        select(m.currency, m.day).where(m.currency != home).distinct().subquery("spend_days")
    )
    missing = (
        await bi.execute(
            select(
                spend_days.c.currency,
                func.count(),
                func.count().filter(
                    rate_of(home, spend_days.c.currency, spend_days.c.day).is_(None)
                ),
            ).group_by(spend_days.c.currency)
        )
    ).all()
    r = FxRate
    held = {
        row.quote: row
        for row in (
            await bi.execute(
                select(
                    r.quote,
                    func.min(r.day).label("first"),
                    func.max(r.day).label("last"),
                    func.count().label("days"),
                )
                .where(r.base == home)
                .group_by(r.quote)
            )
        ).all()
    }
    currencies = sorted({row[0] for row in missing} | set(held))
    by_currency = {row[0]: (int(row[1]), int(row[2])) for row in missing}
    out = []
    for currency in currencies:
        h = held.get(currency)
        days, unconverted = by_currency.get(currency, (0, 0))
        out.append(
            Coverage(
                currency,
                h.first if h else None,
                h.last if h else None,
                int(h.days) if h else 0,
                days,
                unconverted,
            )
        )
    return out


async def store_rates(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    home: str,
    rates: Iterable[tuple[str, date, Decimal]],
    *,
    source: str,
) -> int:
    """Keep rates (currency, day, units of `home` per unit); one row per currency and day:
    a manual rate replaces anything, a fetched one never replaces a manual one."""
    rows = [
        {
            "organization_id": organization_id,
            "base": home,
            "quote": currency,
            "day": day,
            "rate": rate,
            "source": source,
            "fetched_at": datetime.now().astimezone(),
        }
        for currency, day, rate in {(c, d): (c, d, r) for c, d, r in rates}.values()
    ]
    if not rows:
        return 0
    statement = insert(FxRate).values(rows)
    replace = {c: statement.excluded[c] for c in ("rate", "source", "fetched_at")}
    await bi.execute(
        statement.on_conflict_do_update(
            index_elements=["organization_id", "base", "quote", "day"],
            set_=replace,
            where=None if source == "manual" else FxRate.source != "manual",
        )
    )
    return len(rows)


def _ptax_day(value: date) -> str:
    return value.strftime("%m-%d-%Y")


async def fetch_ptax(
    http: HttpClient, currency: str, start: date, end: date
) -> dict[date, Decimal]:
    """BRL per unit of `currency`, per day with a closing bulletin in [start, end]."""
    if currency == "BRL":
        return {}
    url = (
        f"{PTAX_PATH}CotacaoMoedaPeriodo(moeda=@moeda,dataInicial=@dataInicial,"
        "dataFinalCotacao=@dataFinalCotacao)"
    )
    params = {
        "@moeda": f"'{currency}'",
        "@dataInicial": f"'{_ptax_day(start)}'",
        "@dataFinalCotacao": f"'{_ptax_day(end)}'",
        "$format": "json",
        "$select": "cotacaoVenda,dataHoraCotacao,tipoBoletim",
    }
    try:
        response = await http.get(url, params=params)
    except httpx.HTTPError as error:
        raise FxSourceError(f"PTAX unreachable: {type(error).__name__}") from None
    if response.status_code != 200:
        raise FxSourceError(f"PTAX answered {response.status_code}")
    try:
        values = response.json()["value"]
        found: dict[date, Decimal] = {}
        for entry in values:
            if entry.get("tipoBoletim") != "Fechamento":
                continue
            day = date.fromisoformat(str(entry["dataHoraCotacao"])[:10])
            rate = Decimal(str(entry["cotacaoVenda"]))
            if rate <= 0:
                raise ValueError("a rate of zero or less")
            found[day] = rate
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise FxSourceError(f"PTAX answer not understood: {type(error).__name__}") from None
    return found


def cross_rates(
    home: str, brl_per: dict[str, dict[date, Decimal]], currencies: Sequence[str]
) -> list[tuple[str, date, Decimal]]:
    """Units of `home` per unit of each currency, per day both are known (through BRL)."""
    places = Decimal("0.0000000001")
    out = []
    for currency in currencies:
        if currency == home:
            continue
        quote = brl_per.get(currency, {}) if currency != "BRL" else None
        base = brl_per.get(home, {}) if home != "BRL" else None
        days = set(quote or {}) if quote is not None else set(base or {})
        if quote is not None and base is not None:
            days &= set(base)
        for day in sorted(days):
            q = quote[day] if quote is not None else Decimal(1)
            b = base[day] if base is not None else Decimal(1)
            out.append((currency, day, (q / b).quantize(places)))
    return out


async def foreign_currencies(bi: AsyncSession, home: str) -> dict[str, date]:
    """The organization's spend currencies other than `home`, with their first day."""
    m = CampaignMetric
    rows = await bi.execute(
        select(m.currency, func.min(m.day)).where(m.currency != home).group_by(m.currency)
    )
    return {row[0]: row[1] for row in rows}


async def refresh_rates(
    bi: AsyncSession, organization_id: uuid.UUID, home: str, http: HttpClient, *, today: date
) -> int:
    """Fetch the PTAX rates the organization's foreign spend needs, from the day after the
    last one held (or its first spend day, less the lookback) to today; returns how many
    rates were stored."""
    needed = await foreign_currencies(bi, home)
    if not needed:
        return 0
    r = FxRate
    last = {
        row[0]: row[1]
        for row in await bi.execute(
            select(r.quote, func.max(r.day))
            .where(r.base == home, r.source != "manual")
            .group_by(r.quote)
        )
    }
    stored = 0
    for currency, first in sorted(needed.items()):
        start = (
            last[currency] + timedelta(days=1)
            if currency in last
            else first - timedelta(days=LOOKBACK_DAYS)
        )
        while start <= today:
            end = min(today, start + timedelta(days=MAX_FETCH_DAYS))
            brl_per = {c: await fetch_ptax(http, c, start, end) for c in {currency, home}}
            stored += await store_rates(
                bi, organization_id, home, cross_rates(home, brl_per, [currency]), source="ptax"
            )
            start = end + timedelta(days=1)
    log.info("fx_rates_refreshed", organization_id=str(organization_id), stored=stored)
    return stored
