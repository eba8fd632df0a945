"""Background work of the conversions module: sending due conversions to the platforms,
right after a conversion is created or re-queued, and every minute."""

from __future__ import annotations

import uuid

import procrastinate

from rastro.conversions.service import records, sync
from rastro.core.jobs import job_context
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary

blueprint = procrastinate.Blueprint()


async def _run(organization_id: uuid.UUID | None) -> int:
    context = job_context()
    settings = context.settings
    report = await sync.run_sync(
        TransactionBoundary(context.databases.crm),  # each batch commits on its own
        TransactionBoundary(context.databases.bi),
        Keyring(settings.encryption_key_value),
        sync.SyncConfig.from_settings(settings),
        organization_id=organization_id,
    )
    return report.requests


@blueprint.task(name="sync_organization", queue=records.SYNC_QUEUE)
async def sync_organization(organization_id: str) -> int:
    """Send the organization's due conversions now; returns the requests made."""
    return await _run(uuid.UUID(organization_id))


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="sync_due", queue=records.SYNC_QUEUE, queueing_lock="conversions.sync_due")
async def sync_due(timestamp: int) -> int:
    """Every minute: send every organization's due conversions (retries included)."""
    return await _run(None)


def register(app: procrastinate.App) -> None:
    # Registered as `conversions:sync_organization`, the name `records.SYNC_TASK` queues.
    app.add_tasks_from(blueprint, namespace="conversions")
