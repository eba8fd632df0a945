"""Background work of the tracking module."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import procrastinate
from sqlalchemy import select, text

from rastro.core.db import SYSTEM, libpq_url
from rastro.core.jobs import job_context
from rastro.core.live import LivePublisher
from rastro.tracking import partitions
from rastro.tracking.models import TrackedSession
from rastro.tracking.service import hooks, reads

blueprint = procrastinate.Blueprint()


async def maintain_partitions_now(
    *, months_ahead: int = 3, retention_months: int = 25
) -> dict[str, list[str]]:
    """Create the coming months' partitions; detach those older than the retention."""
    today = datetime.now(UTC).date()
    created: list[str] = []
    detached: list[str] = []
    async with job_context().databases.bi.transaction(SYSTEM) as session:
        for parent in partitions.PARTITIONED_TABLES:
            existing = set(
                (
                    await session.execute(text(partitions.LIST_PARTITIONS), {"parent": parent})
                ).scalars()
            )
            for month in partitions.months_to_create(today, ahead=months_ahead):
                name = partitions.partition_name(parent, month)
                if name not in existing:
                    for statement in partitions.create_statements(parent, month):
                        await session.execute(text(statement))
                    created.append(name)
            for name in sorted(existing):
                if partitions.expired(name, today, retention_months=retention_months):
                    await session.execute(text(f"ALTER TABLE {parent} DETACH PARTITION {name}"))
                    detached.append(name)
    return {"created": created, "detached": detached}


@blueprint.periodic(cron="7 3 * * *")
@blueprint.task(
    name="tracking.maintain_partitions", queue="maintenance", queueing_lock="tracking.partitions"
)
async def maintain_partitions(timestamp: int) -> dict[str, list[str]]:
    """Daily: partitions for the next three months exist; old ones are detached."""
    settings = job_context().settings
    return await maintain_partitions_now(retention_months=settings.event_retention_months)


async def forget_event_ids_now() -> int:
    """Delete the stored event ids older than `EVENT_ID_MEMORY`; returns how many."""
    async with job_context().databases.bi.transaction(SYSTEM) as session:
        result = await session.execute(
            text(partitions.FORGET_EVENT_IDS), {"days": partitions.EVENT_ID_MEMORY.days}
        )
    return int(getattr(result, "rowcount", 0) or 0)


@blueprint.periodic(cron="17 3 * * *")
@blueprint.task(
    name="tracking.forget_event_ids", queue="maintenance", queueing_lock="tracking.event_ids"
)
async def forget_event_ids(timestamp: int) -> int:
    """Daily: the collector forgets event ids older than its deduplication window."""
    return await forget_event_ids_now()


async def announce_offline(publish: hooks.Publish, *, until: datetime) -> int:
    """Publish `visitor_offline` for the sessions whose 30 idle minutes ended in the minute
    before `until` (consecutive minutes never overlap, so each session is announced once):
    to the organization, and to the watchers of the session's funnel."""
    end = until - reads.LIVE_WINDOW
    start = end - timedelta(minutes=1)
    async with job_context().databases.bi.transaction(SYSTEM) as session:
        rows = (
            await session.execute(
                select(
                    TrackedSession.organization_id,
                    TrackedSession.session_id,
                    TrackedSession.funnel_id,
                    TrackedSession.current_step_id,
                ).where(
                    TrackedSession.last_activity_at >= start,
                    TrackedSession.last_activity_at < end,
                    TrackedSession.is_bot.is_(False),
                )
            )
        ).all()
    for organization_id, session_id, funnel_id, step_id in rows:
        await publish(organization_id, "visitor_offline", {"session_id": session_id})
        if funnel_id is not None:
            data = {"session_id": session_id, "funnel_id": str(funnel_id), "step_id": str(step_id)}
            await publish(organization_id, "visitor_offline", data, topic=("funnel", funnel_id))
    return len(rows)


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="tracking.visitors_offline", queue="live", queueing_lock="tracking.offline")
async def visitors_offline(timestamp: int) -> int:
    """Every minute: tell live watchers which visitors went offline."""
    settings = job_context().settings
    publisher = LivePublisher(libpq_url(settings.crm_database_url))
    try:
        minute = datetime.fromtimestamp(timestamp, UTC).replace(second=0, microsecond=0)
        return await announce_offline(publisher.publish, until=minute)
    finally:
        await publisher.close()


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="tracking")
