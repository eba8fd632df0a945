"""Background work of the analytics module: the rollups' refresh every five minutes, the
ad spend imports (daily for every account, backfills on demand), the daily exchange rates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import procrastinate
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import health_jobs
from rastro.analytics.service import fx, insights, spend_import, upkeep
from rastro.auth.service import accounts
from rastro.core.db import SYSTEM, Scope
from rastro.core.http import HttpClient
from rastro.core.jobs import enqueue, job_context
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary

log = structlog.get_logger(__name__)
blueprint = procrastinate.Blueprint()


async def refresh_all_now(*, full: bool = False) -> int:
    """Refresh every organization's rollups (one after the other); returns how many."""
    databases = job_context().databases
    async with databases.crm.transaction(SYSTEM) as crm:
        organizations = await accounts.organization_ids(crm)
    crm_boundary, bi_boundary = (
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
    )
    for organization_id in organizations:
        await upkeep.refresh_organization(crm_boundary, bi_boundary, organization_id, full=full)
    log.info("analytics.rollups_refreshed", organizations=len(organizations))
    return len(organizations)


@blueprint.periodic(cron="*/5 * * * *")
@blueprint.task(
    name="analytics.refresh_rollups", queue="maintenance", queueing_lock="analytics.rollups"
)
async def refresh_rollups(timestamp: int) -> int:
    """Every five minutes: every organization's rollups up to now."""
    return await refresh_all_now()


SPEND_QUEUE = "spend"
SPEND_TASK = "analytics:import_spend"


async def queue_spend_import(
    crm: AsyncSession, organization_id: uuid.UUID, import_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    """Queue a logged import run (in the caller's CRM transaction); one account's runs
    run one after the other."""
    await enqueue(
        crm,
        SPEND_TASK,
        args={"organization_id": str(organization_id), "import_id": str(import_id)},
        queue=SPEND_QUEUE,
        lock=f"analytics.spend:{account_id}",
    )


async def _import(organization_id: uuid.UUID, import_id: uuid.UUID) -> int:
    context = job_context()
    run = await spend_import.run_import(
        TransactionBoundary(context.databases.crm),
        TransactionBoundary(context.databases.bi),
        Keyring(context.settings.encryption_key_value),
        spend_import.ImportConfig(),
        organization_id=organization_id,
        import_id=import_id,
    )
    return run.rows if run is not None else 0


@blueprint.task(name="import_spend", queue=SPEND_QUEUE)
async def import_spend(organization_id: str, import_id: str) -> int:
    """Run one logged spend import (a backfill); returns the rows written."""
    return await _import(uuid.UUID(organization_id), uuid.UUID(import_id))


@blueprint.periodic(cron="30 5 * * *")
@blueprint.task(name="spend.daily", queue=SPEND_QUEUE, queueing_lock="analytics.spend_daily")
async def import_spend_daily(timestamp: int) -> int:
    """Every day: each active ad account's last 28 days up to yesterday (the platforms
    restate recent days; upserts keep one row per ad and day); returns the runs."""
    runs = await spend_import.queue_daily(TransactionBoundary(job_context().databases.bi))
    for organization_id, import_id in runs:
        await _import(organization_id, import_id)
    return len(runs)


@blueprint.periodic(cron="0 6 * * *")
@blueprint.task(name="fx.daily", queue="maintenance", queueing_lock="analytics.fx_daily")
async def refresh_fx_daily(timestamp: int) -> int:
    """Every day: the exchange rates each organization's foreign spend needs; returns the
    rates stored (a source that fails is logged and tried again the next day)."""
    context = job_context()
    async with context.databases.crm.transaction(SYSTEM) as crm:
        organizations = await accounts.organization_ids(crm)
    crm_boundary = TransactionBoundary(context.databases.crm)
    bi_boundary = TransactionBoundary(context.databases.bi)
    http = HttpClient(context.settings.fx_rates_url, timeout=20.0)
    stored = 0
    try:
        for organization_id in organizations:
            scope = Scope.organization(organization_id)
            async with crm_boundary.unit(scope) as crm:
                home = (await accounts.get_organization(crm, organization_id)).currency
            try:
                async with bi_boundary.unit(scope) as bi:
                    stored += await fx.refresh_rates(
                        bi, organization_id, home, http, today=datetime.now(UTC).date()
                    )
            except fx.FxSourceError as error:
                log.warning("fx_refresh_failed", error=type(error).__name__)
    finally:
        await http.aclose()
    return stored


@blueprint.periodic(cron="30 6 * * *")
@blueprint.task(name="insights.daily", queue="maintenance", queueing_lock="analytics.insights")
async def record_insights_daily(timestamp: int) -> int:
    """Every day: each organization's creative insights over the last 30 days, kept as the
    day's history; returns the ads recorded."""
    context = job_context()
    async with context.databases.crm.transaction(SYSTEM) as crm:
        organizations = await accounts.organization_ids(crm)
    crm_boundary = TransactionBoundary(context.databases.crm)
    bi_boundary = TransactionBoundary(context.databases.bi)
    recorded = 0
    for organization_id in organizations:
        scope = Scope.organization(organization_id)
        async with crm_boundary.unit(scope) as crm:
            organization = await accounts.get_organization(crm, organization_id)
        async with bi_boundary.unit(scope) as bi:
            report_scope = await insights.default_scope(bi, organization)
            computed = await insights.creative_insights(bi, report_scope)
            recorded += await insights.record_day(
                bi, organization_id, datetime.now(UTC).date(), computed
            )
    return recorded


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="analytics")
    health_jobs.register(app)
