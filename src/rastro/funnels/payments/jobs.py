"""Background work of the payments: a sale's lead and conversion, and expiring the
pending charges whose time is up (every minute)."""

from __future__ import annotations

import uuid

import procrastinate

from rastro.core.db import SYSTEM
from rastro.core.jobs import job_context
from rastro.core.units import TransactionBoundary
from rastro.funnels.payments.service import outcomes, payments

blueprint = procrastinate.Blueprint()


@blueprint.task(name="record_sale", queue=outcomes.QUEUE)
async def record_sale(organization_id: str, payment_id: str) -> str | None:
    """The payment's lead and purchase conversion; returns why there is none, if so."""
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
    # Registered as `payments:record_sale`, the name `outcomes.RECORD_SALE_TASK` queues.
    app.add_tasks_from(blueprint, namespace="payments")
