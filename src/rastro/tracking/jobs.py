"""Background work of the tracking module."""

from __future__ import annotations

from datetime import UTC, datetime

import procrastinate
from sqlalchemy import text

from rastro.core.db import SYSTEM
from rastro.core.jobs import job_context
from rastro.tracking import partitions

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


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="tracking")
