"""Route of the funnel report (seed 002's funnel analytics)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from rastro.analytics.permissions import Read
from rastro.analytics.schemas import Preset, ReportFilters
from rastro.analytics.schemas.funnels import FunnelDimension, FunnelReport, FunnelsSummary
from rastro.analytics.service import funnels, periods
from rastro.auth.service import accounts
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics", route_class=TransactionalRoute, responses=ERROR_RESPONSES
)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such funnel in this organization (`not_found`)"},
    422: {
        "description": "A reversed range, one ending in the future or longer than two years "
        "(`invalid_date_range`), or a malformed parameter (`validation_error`)"
    },
}


@router.get(
    "/funnels",
    response_model=FunnelsSummary,
    responses={422: _RESPONSES[422]},
    tags=["analytics"],
)
async def get_funnels_summary(
    principal: Read,
    crm: CrmSession,
    bi: BiSession,
    date_from: date | None = None,
    date_to: date | None = None,
    preset: Preset | None = None,
) -> FunnelsSummary:
    """The funnels block of the Overview: each funnel with visitors or charges in the
    period (the last 30 days by default) — checkout visitors, PIX generated, paid, paid
    rate and revenue, counted as its funnel report counts them — by revenue."""
    organization = await accounts.get_organization(crm, principal.organization_id)
    filters = ReportFilters(date_from=date_from, date_to=date_to, preset=preset)
    period, _ = periods.resolve(filters, organization.timezone, now=datetime.now(UTC))
    return await funnels.funnels_summary(
        crm, bi, period=period, timezone=organization.timezone, currency=organization.currency
    )


@router.get(
    "/funnels/{funnel_id}", response_model=FunnelReport, responses=_RESPONSES, tags=["analytics"]
)
async def get_funnel_report(
    funnel_id: uuid.UUID,
    principal: Read,
    crm: CrmSession,
    bi: BiSession,
    date_from: date | None = None,
    date_to: date | None = None,
    preset: Preset | None = None,
    dimension: Annotated[FunnelDimension, Query(description="The breakdown")] = "source",
) -> FunnelReport:
    """A funnel over a period of the organization's days (the last 30 by default):
    visitors per step and step-to-step conversion, checkout → PIX generated → paid, paid
    rate, revenue and average order, upsell and downsell take rates, and the same by UTM
    source or campaign."""
    organization = await accounts.get_organization(crm, principal.organization_id)
    filters = ReportFilters(date_from=date_from, date_to=date_to, preset=preset)
    period, _ = periods.resolve(filters, organization.timezone, now=datetime.now(UTC))
    return await funnels.funnel_report(
        crm,
        bi,
        funnel_id=funnel_id,
        period=period,
        timezone=organization.timezone,
        currency=organization.currency,
        dimension=dimension,
    )
