"""Routes of tracking health: the unattributed breakdown of a period and each ad's URL
check (read, and run again on demand)."""

from __future__ import annotations

from fastapi import APIRouter

from rastro.analytics import health_schemas as schemas
from rastro.analytics.api.context import Context
from rastro.analytics.health_jobs import queue_url_checks
from rastro.analytics.permissions import Admin, Read
from rastro.analytics.service import unattributed, url_checks
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics/health",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["analytics"],
)


@router.get("", response_model=schemas.Unattributed)
async def get_unattributed(context: Context, bi: BiSession) -> schemas.Unattributed:
    """What the period leaves unattributed, side by side, each with what to fix: sales with
    no session, sessions with no campaign (by channel and source), spend with no sessions
    (per ad, with its URL check), UTM campaigns that match no campaign. The visit filters
    select the sessions; every session of the period decides which spend is reached."""
    return await unattributed.unattributed(bi, context.current)


@router.get("/urls", response_model=schemas.AdUrlChecks)
async def list_url_checks(_: Read, bi: BiSession) -> schemas.AdUrlChecks:
    """Each checked ad's destination URL (landing page, the parameters the platform appends,
    Google's tracking template and auto-tagging) and the tracking parameters it lacks,
    errors first."""
    return await url_checks.list_checks(bi)


@router.post("/urls/check", response_model=schemas.UrlCheckRun, status_code=202)
async def check_urls(principal: Admin, crm: CrmSession, bi: BiSession) -> schemas.UrlCheckRun:
    """Read every active ad account's ads' URLs from its platform again (one job per
    account; accounts whose platform exposes no URLs are skipped)."""
    accounts = await url_checks.checkable_accounts(bi)
    for account_id in accounts:
        await queue_url_checks(crm, principal.organization_id, account_id)
    return schemas.UrlCheckRun(queued=accounts)
