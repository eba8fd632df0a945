"""Routes of the Overview and of the rollups' refresh."""

from __future__ import annotations

from fastapi import APIRouter

from rastro.analytics import schemas
from rastro.analytics.api.context import Context
from rastro.analytics.permissions import Admin
from rastro.analytics.service import (
    attribution,
    overview,
    profit_reports,
    rollup_refresh,
    spend_costs,
)
from rastro.auth.service import accounts
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics", route_class=TransactionalRoute, responses=ERROR_RESPONSES
)


@router.get("/overview", response_model=schemas.Overview, tags=["analytics"])
async def get_overview(context: Context, bi: BiSession) -> schemas.Overview:
    """Visitors, sessions, leads, qualified leads, won deals and revenue of a period, by
    day, channel and campaign, compared with the previous period or last year; cost and
    ROAS from the imported ad spend (null with `cost_note` where there is none); the
    totals' profit (net revenue, fees, taxes, product costs, commissions, ad spend)."""
    report = await overview.overview(bi, context.current, context.previous)
    report = await spend_costs.with_overview_cost(bi, context.current, context.previous, report)
    report = await profit_reports.with_overview_profit(
        bi, context.current, context.previous, report
    )
    settings = await attribution.get_settings(bi)
    return await attribution.credit_overview(bi, context.current, report, settings)


@router.post("/refresh", response_model=schemas.RefreshOut, tags=["analytics"])
async def refresh_rollups(
    principal: Admin, crm: CrmSession, bi: BiSession, full: bool = False
) -> schemas.RefreshOut:
    """Bring the rollups up to now (the worker does it every 5 minutes); `full`
    re-aggregates everything."""
    organization = await accounts.get_organization(crm, principal.organization_id)
    result = await rollup_refresh.refresh(
        bi, principal.organization_id, timezone=organization.timezone, full=full
    )
    return schemas.RefreshOut(
        through=result.through, full=result.full, days_rewritten=result.days_rewritten
    )
