"""Routes of the A/B test results."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter

from rastro.analytics import schemas
from rastro.analytics.permissions import Read
from rastro.analytics.service import abtests
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics", route_class=TransactionalRoute, responses=ERROR_RESPONSES
)


@router.get("/ab-tests", response_model=list[schemas.AbTestSummary], tags=["analytics"])
async def list_ab_tests(
    principal: Read, crm: CrmSession, bi: BiSession
) -> list[schemas.AbTestSummary]:
    """The organization's A/B tests, newest first, with their visitors, leads and verdict on
    leads over each test's life."""
    return await abtests.ab_test_summaries(crm, bi, principal.organization_id)


@router.get("/ab-tests/{ab_test_id}", response_model=schemas.AbTestReport, tags=["analytics"])
async def get_ab_test(
    ab_test_id: uuid.UUID,
    principal: Read,
    crm: CrmSession,
    bi: BiSession,
    date_from: date | None = None,
    date_to: date | None = None,
) -> schemas.AbTestReport:
    """A test's figures per variant, judged on leads, on won deals (two-proportion z-test,
    pooled SE; 95 % Wald interval, unpooled; exact Bayesian probability to beat the control
    with Beta(1, 1) priors) and on revenue per visitor (Welch's t-test), with a
    sample-ratio-mismatch check (chi-square against the weights, warning below p = 0.001),
    a verdict code that names no winner before the planned sample size is reached, and a
    daily series. The period is the test's life unless `date_from`/`date_to` are given."""
    return await abtests.ab_test_report(
        crm, bi, principal.organization_id, ab_test_id, date_from=date_from, date_to=date_to
    )
