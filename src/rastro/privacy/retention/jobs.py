"""Retention's background work: every day, one anonymisation job per organization, and
the event partitions past every retention dropped once the rollups cover them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import procrastinate

from rastro.auth.service import accounts
from rastro.core.db import SYSTEM
from rastro.core.jobs import enqueue_once, job_context
from rastro.core.units import TransactionBoundary
from rastro.privacy.retention import partitions, service

blueprint = procrastinate.Blueprint()
ANONYMISE_TASK = "privacy:anonymise_organization"


@blueprint.periodic(cron="37 4 * * *")
@blueprint.task(name="privacy.anonymise_daily", queue="maintenance", queueing_lock="privacy.daily")
async def anonymise_daily(timestamp: int) -> int:
    """Daily: queue every organization's anonymisation (one job each); returns how many."""
    async with job_context().databases.crm.transaction(SYSTEM) as crm:
        organizations = await accounts.organization_ids(crm)
        for organization_id in organizations:
            await enqueue_once(
                crm,
                ANONYMISE_TASK,
                queueing_lock=f"privacy.anonymise:{organization_id}",
                args={"organization_id": str(organization_id)},
                queue="maintenance",
            )
    return len(organizations)


@blueprint.task(name="anonymise_organization", queue="maintenance")
async def anonymise_organization(organization_id: str) -> str:
    """One organization's anonymisation; returns the run's status. Safe to run twice: a
    second run finds nothing left to change."""
    databases = job_context().databases
    run = await service.anonymise_organization(
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        uuid.UUID(organization_id),
    )
    return run.status


@blueprint.periodic(cron="57 4 * * *")
@blueprint.task(
    name="privacy.drop_event_partitions", queue="maintenance", queueing_lock="privacy.partitions"
)
async def drop_event_partitions(timestamp: int) -> dict[str, object]:
    """Daily: drop the event partitions past every organization's retention that the
    rollups cover (`EVENT_PARTITIONS_DROP`); returns what was dropped and kept."""
    context = job_context()
    if not context.settings.event_partitions_drop:
        return {"dropped": [], "kept": {}, "disabled": True}
    report = await partitions.drop_expired_partitions(
        TransactionBoundary(context.databases.crm),
        TransactionBoundary(context.databases.bi),
        today=datetime.now(UTC).date(),
    )
    return {"dropped": report.dropped, "kept": report.kept}


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="privacy")
