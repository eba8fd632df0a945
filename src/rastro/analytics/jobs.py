"""Background work of the analytics module: the rollups' refresh every five minutes."""

from __future__ import annotations

import procrastinate
import structlog

from rastro.analytics.service import upkeep
from rastro.auth.service import accounts
from rastro.core.db import SYSTEM
from rastro.core.jobs import job_context
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


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="analytics")
