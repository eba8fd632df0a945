"""Routes of the cohorts report (LTV curves, repeat customers, payback)."""

from __future__ import annotations

from fastapi import APIRouter

from rastro.analytics import schemas
from rastro.analytics.api.context import Context
from rastro.analytics.service import cohorts
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics", route_class=TransactionalRoute, responses=ERROR_RESPONSES
)


@router.get("/cohorts", response_model=schemas.Cohorts, tags=["analytics"])
async def get_cohorts(
    context: Context,
    bi: BiSession,
    crm: CrmSession,
    period: schemas.CohortPeriod = "month",
    by: schemas.CohortKey = "none",
) -> schemas.Cohorts:
    """Leads grouped by the month (or week) of their first touch (their creation without
    one), optionally by first-touch channel or campaign: customers, repeat customers and
    won revenue accumulated over the following months (LTV curves). CAC and payback stay
    null (`no_spend_data`) until ad spend exists."""
    return await cohorts.cohorts(bi, crm, context.current, period=period, by=by)
