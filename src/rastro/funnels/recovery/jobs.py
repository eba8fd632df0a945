"""Background work of the recovery: detection every minute, the webhook deliveries (one
attempt per job; a transient failure queues the next attempt with backoff), and the
daily purge of old checkout starts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import procrastinate

from rastro.core.db import SYSTEM, Scope
from rastro.core.jobs import enqueue, job_context
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.funnels.recovery.service import delivery, detection, starts
from rastro.funnels.recovery.service.actions import DELIVER_WEBHOOK_TASK, QUEUE, link_signer

blueprint = procrastinate.Blueprint()


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="detect", queue=QUEUE, queueing_lock="recovery.detect")
async def detect(timestamp: int) -> int:
    """Every minute: unpaid charges past their funnel's delay become recovery cases."""
    context = job_context()
    found = await detection.detect_due(
        TransactionBoundary(context.databases.crm),
        TransactionBoundary(context.databases.bi),
        signer=link_signer(context.settings),
        now=datetime.now(UTC),
    )
    return len(found)


@blueprint.periodic(cron="17 3 * * *")
@blueprint.task(name="purge_starts", queue=QUEUE, queueing_lock="recovery.purge_starts")
async def purge_starts(timestamp: int) -> int:
    """Every day: checkout starts older than two weeks are deleted (their contact data)."""
    context = job_context()
    async with TransactionBoundary(context.databases.crm).unit(SYSTEM) as session:
        return await starts.purge_checkout_starts(session, before=datetime.now(UTC) - starts.KEEP)


@blueprint.task(name="deliver_webhook", queue=QUEUE)
async def deliver_webhook(organization_id: str, action_id: str) -> str:
    """One attempt of a recovery webhook; the next one is queued when it may be retried."""
    context = job_context()
    crm = TransactionBoundary(context.databases.crm)
    outcome = await delivery.attempt(
        crm,
        Keyring(context.settings.encryption_key_value),
        signer=link_signer(context.settings),
        organization_id=uuid.UUID(organization_id),
        action_id=uuid.UUID(action_id),
    )
    if outcome.status == "pending" and outcome.retry_at is not None:
        async with crm.unit(Scope.organization(uuid.UUID(organization_id))) as session:
            await enqueue(
                session,
                DELIVER_WEBHOOK_TASK,
                args={"organization_id": organization_id, "action_id": action_id},
                queue=QUEUE,
                lock=f"recovery.webhook:{action_id}",
                scheduled_at=outcome.retry_at,
            )
    return outcome.status


def register(app: procrastinate.App) -> None:
    # Registered as `recovery:detect` and `recovery:deliver_webhook`.
    app.add_tasks_from(blueprint, namespace="recovery")
