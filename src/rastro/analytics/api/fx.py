"""Routes of the exchange rates that convert spend in another currency: what is held and
what is missing, a fetch now, and the organization's own rates."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from rastro.analytics.permissions import Admin, Read
from rastro.analytics.service import fx
from rastro.auth.service import accounts
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES, UnprocessableEntity
from rastro.core.http import HttpClient
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics/fx-rates",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["analytics"],
)
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class CoverageOut(BaseModel):
    currency: str
    first_day: date | None
    last_day: date | None
    days: int = Field(description="Days with a rate held")
    spend_days: int = Field(description="Days with spend in this currency")
    missing_days: int = Field(description="Of those, days no rate converts (kept apart)")


class FxRatesOut(BaseModel):
    currency: str = Field(description="The organization's currency (rates are into it)")
    lookback_days: int = Field(description="A day without a rate uses the last one this far back")
    currencies: list[CoverageOut]


class FxRefreshOut(BaseModel):
    stored: int
    error: str | None = Field(None, description="Why the source could not be read, if so")


class ManualRate(BaseModel):
    currency: Currency
    day: date
    rate: Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=10)] = Field(
        description="Units of the organization's currency per unit of `currency`"
    )


class ManualRates(BaseModel):
    rates: Annotated[list[ManualRate], Field(min_length=1, max_length=2000)]


async def _home(crm: CrmSession, organization_id: uuid.UUID) -> str:
    return (await accounts.get_organization(crm, organization_id)).currency


async def _out(bi: BiSession, home: str) -> FxRatesOut:
    held = await fx.coverage(bi, home)
    return FxRatesOut(
        currency=home,
        lookback_days=fx.LOOKBACK_DAYS,
        currencies=[CoverageOut.model_validate(c, from_attributes=True) for c in held],
    )


@router.get("", response_model=FxRatesOut)
async def get_fx_rates(principal: Read, crm: CrmSession, bi: BiSession) -> FxRatesOut:
    """Per foreign currency of the spend: the rates held and the days left unconverted."""
    return await _out(bi, await _home(crm, principal.organization_id))


@router.post("/refresh", response_model=FxRefreshOut)
async def refresh_fx_rates(
    request: Request, principal: Admin, crm: CrmSession, bi: BiSession
) -> FxRefreshOut:
    """Fetch the missing rates now (the daily job does it too)."""
    home = await _home(crm, principal.organization_id)
    http = HttpClient(request.app.state.settings.fx_rates_url, timeout=20.0)
    try:
        stored = await fx.refresh_rates(
            bi, principal.organization_id, home, http, today=datetime.now(UTC).date()
        )
    except fx.FxSourceError as error:
        return FxRefreshOut(stored=0, error=str(error))
    finally:
        await http.aclose()
    return FxRefreshOut(stored=stored)


@router.put("", response_model=FxRatesOut)
async def put_fx_rates(
    body: ManualRates, principal: Admin, crm: CrmSession, bi: BiSession
) -> FxRatesOut:
    """Keep the organization's own rates (they win over fetched ones, day by day)."""
    home = await _home(crm, principal.organization_id)
    today = datetime.now(UTC).date()
    for i, rate in enumerate(body.rates):
        if rate.currency == home or rate.day > today:
            raise UnprocessableEntity(
                "A rate is for another currency than the organization's, on a past day.",
                details=[{"loc": f"body.rates.{i}", "message": "invalid", "type": "value_error"}],
            )
    await fx.store_rates(
        bi,
        principal.organization_id,
        home,
        [(r.currency, r.day, r.rate) for r in body.rates],
        source="manual",
    )
    return await _out(bi, home)
