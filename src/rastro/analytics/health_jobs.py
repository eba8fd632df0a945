"""Background work of tracking health: each ad account's ads' URLs checked every day (and
on demand), the alert rules evaluated every hour, each firing's webhook and e-mail
delivered (and retried) through the queue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics.service import alert_delivery, alerts, spend_import, url_checks
from rastro.core.db import SYSTEM, libpq_url
from rastro.core.jobs import enqueue, enqueue_once, job_context
from rastro.core.live import LivePublisher
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary

blueprint = procrastinate.Blueprint()
QUEUE = "spend"
URL_TASK = "analytics:check_ad_urls"
DELIVERY_TASK = "analytics:deliver_alert"
DELIVERY_QUEUE = "alerts"


async def queue_url_checks(
    crm: AsyncSession, organization_id: uuid.UUID, ad_account_id: uuid.UUID
) -> None:
    """Queue one account's URL check (in the caller's CRM transaction; one waits at most)."""
    await enqueue_once(
        crm,
        URL_TASK,
        queueing_lock=f"analytics.url_check:{ad_account_id}",
        args={"organization_id": str(organization_id), "ad_account_id": str(ad_account_id)},
        queue=QUEUE,
    )


@blueprint.task(name="check_ad_urls", queue=QUEUE)
async def check_ad_urls(organization_id: str, ad_account_id: str) -> int:
    """Check one account's ads' URLs; returns how many ads were checked."""
    context = job_context()
    checked = await url_checks.run_account_check(
        TransactionBoundary(context.databases.crm),
        TransactionBoundary(context.databases.bi),
        Keyring(context.settings.encryption_key_value),
        spend_import.ImportConfig(),
        organization_id=uuid.UUID(organization_id),
        ad_account_id=uuid.UUID(ad_account_id),
    )
    return checked or 0


@blueprint.periodic(cron="0 7 * * *")
@blueprint.task(name="health.daily_url_checks", queue=QUEUE, queueing_lock="analytics.url_daily")
async def check_all_ad_urls(timestamp: int) -> int:
    """Every day after the spend import: queue every active account's URL check."""
    databases = job_context().databases
    async with databases.bi.transaction(SYSTEM) as bi:
        accounts = await url_checks.all_active_accounts(bi)
    async with databases.crm.transaction(SYSTEM) as crm:
        for organization_id, ad_account_id in accounts:
            await queue_url_checks(crm, organization_id, ad_account_id)
    return len(accounts)


async def queue_deliveries(
    crm: AsyncSession, deliveries: list[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """Queue the first attempt of each (organization, delivery)."""
    for organization_id, delivery_id in deliveries:
        await enqueue_once(
            crm,
            DELIVERY_TASK,
            queueing_lock=f"analytics.alert_delivery:{delivery_id}",
            args={"organization_id": str(organization_id), "delivery_id": str(delivery_id)},
            queue=DELIVERY_QUEUE,
        )


@blueprint.periodic(cron="10 * * * *")
@blueprint.task(
    name="health.evaluate_alerts", queue="maintenance", queueing_lock="analytics.alerts"
)
async def evaluate_alerts(timestamp: int) -> int:
    """Every hour: every organization's alert rules on its last complete days; the webhook
    deliveries they create (and pending ones left behind) are queued."""
    context = job_context()
    crm, bi = TransactionBoundary(context.databases.crm), TransactionBoundary(context.databases.bi)
    evaluated = await alerts.evaluate_all(crm, bi, now=datetime.now(UTC))
    async with context.databases.crm.transaction(SYSTEM) as session:
        await queue_deliveries(session, evaluated.deliveries)
    if evaluated.opened:
        # The dashboard's badge refreshes when a firing opens (socket.io).
        publisher = LivePublisher(libpq_url(context.settings.crm_database_url))
        try:
            for organization_id, count in evaluated.opened.items():
                await publisher.publish(organization_id, "alert_opened", {"opened": count})
        finally:
            await publisher.close()
    return len(evaluated.deliveries)


@blueprint.task(name="deliver_alert", queue=DELIVERY_QUEUE)
async def deliver_alert(organization_id: str, delivery_id: str) -> str:
    """One attempt of a firing's delivery (webhook or e-mail); a transient failure queues
    the next attempt."""
    context = job_context()
    outcome = await alert_delivery.attempt(
        TransactionBoundary(context.databases.crm),
        TransactionBoundary(context.databases.bi),
        Keyring(context.settings.encryption_key_value),
        organization_id=uuid.UUID(organization_id),
        delivery_id=uuid.UUID(delivery_id),
        settings=context.settings,
    )
    if outcome.retry_at is not None:
        async with context.databases.crm.transaction(SYSTEM) as session:
            await enqueue(
                session,
                DELIVERY_TASK,
                args={"organization_id": organization_id, "delivery_id": delivery_id},
                queue=DELIVERY_QUEUE,
                scheduled_at=outcome.retry_at,
            )
    return outcome.status


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="analytics")
