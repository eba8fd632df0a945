"""Background work of the payments: the sales' leads and conversions (in batches), and
expiring the pending charges whose time is up (every minute)."""

from __future__ import annotations

import asyncio
import uuid

import procrastinate

from rastro.core.db import SYSTEM
from rastro.core.jobs import job_context
from rastro.core.units import TransactionBoundary
from rastro.funnels.payments.service import outcomes, payments

blueprint = procrastinate.Blueprint()


@blueprint.task(
    name="record_sales",
    queue=outcomes.QUEUE,
    lock=outcomes.QUEUEING_LOCK,
    queueing_lock=outcomes.QUEUEING_LOCK,
)
async def record_sales() -> int:
    """Record the due sales (`outcomes.record_due_sales`), after letting them gather for
    `OUTBOX_GATHER_SECONDS`: under a burst of payments one job records many. Queued by
    the status change (CRM 0046's trigger); returns how many sales it tried."""
    context = job_context()
    await asyncio.sleep(context.settings.outbox_gather_seconds)
    return await outcomes.record_due_sales(
        TransactionBoundary(context.databases.crm), TransactionBoundary(context.databases.bi)
    )


@blueprint.periodic(cron="* * * * *")
@blueprint.task(
    name="sweep_sales",
    queue=outcomes.QUEUE,
    lock=outcomes.QUEUEING_LOCK,
    queueing_lock="payments.sweep_sales",
)
async def sweep_sales(timestamp: int) -> int:
    """Every minute: the sales a failure or a missed job left due."""
    context = job_context()
    return await outcomes.record_due_sales(
        TransactionBoundary(context.databases.crm), TransactionBoundary(context.databases.bi)
    )


@blueprint.task(name="record_sale", queue=outcomes.QUEUE)
async def record_sale(organization_id: str, payment_id: str) -> str | None:
    """One payment's sale: the job of the earlier version, one per sale (those queued
    before CRM 0046 still run); returns why there is no conversion, if so."""
    context = job_context()
    recorded = await outcomes.record_sale(
        TransactionBoundary(context.databases.crm),
        TransactionBoundary(context.databases.bi),
        organization_id=uuid.UUID(organization_id),
        payment_id=uuid.UUID(payment_id),
    )
    return recorded.reason


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="expire_pending", queue=outcomes.QUEUE, queueing_lock="payments.expire")
async def expire_pending(timestamp: int) -> int:
    """Every minute: pending charges past their expiry become expired."""
    context = job_context()
    async with TransactionBoundary(context.databases.crm).unit(SYSTEM) as session:
        return await payments.expire_due(session)


def register(app: procrastinate.App) -> None:
    # Registered as `payments:record_sales` (`outcomes.RECORD_SALES_TASK`, the name CRM
    # 0046's trigger queues) and so on.
    app.add_tasks_from(blueprint, namespace="payments")
