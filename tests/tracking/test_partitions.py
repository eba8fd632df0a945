"""Monthly partitions: created ahead by the job, old ones detached."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from rastro.core.db import SYSTEM
from rastro.core.jobs import JobContext, set_job_context
from rastro.tracking import partitions
from rastro.tracking.jobs import maintain_partitions_now


def test_month_arithmetic_and_expiry():
    assert partitions.add_months(date(2026, 11, 23), 3) == date(2027, 2, 1)
    assert partitions.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    today = date(2026, 11, 23)
    assert partitions.expired("events_2024_09", today, retention_months=25)
    assert not partitions.expired("events_2024_10", today, retention_months=25)
    assert not partitions.expired("events_default", today, retention_months=1)


async def _partitions(databases, parent):
    async with databases.bi.transaction(SYSTEM) as s:
        return list(
            (await s.execute(text(partitions.LIST_PARTITIONS), {"parent": parent})).scalars()
        )


async def test_job_creates_the_coming_months_and_detaches_expired_ones(databases, settings):
    old = date(2020, 1, 1)
    async with databases.bi.transaction(SYSTEM) as s:
        for statement in partitions.create_statements("events", old):
            await s.execute(text(statement))
    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        result = await maintain_partitions_now(months_ahead=5, retention_months=25)
        again = await maintain_partitions_now(months_ahead=5, retention_months=25)
    finally:
        set_job_context(None)
        async with databases.bi.transaction(SYSTEM) as s:
            await s.execute(text("DROP TABLE IF EXISTS events_2020_01"))
    today = datetime.now(UTC).date()
    expected_last = partitions.partition_name("events", partitions.add_months(today, 5))
    assert expected_last in result["created"]
    assert result["detached"] == ["events_2020_01"]
    assert again == {"created": [], "detached": []}
    names = await _partitions(databases, "events")
    assert "events_2020_01" not in names
    assert expected_last in names
    for parent in partitions.PARTITIONED_TABLES:
        assert partitions.partition_name(parent, today) in await _partitions(databases, parent)
    async with databases.bi.transaction(SYSTEM) as s:
        forced = (
            await s.execute(
                text(f"SELECT relforcerowsecurity FROM pg_class WHERE relname = '{expected_last}'")
            )
        ).scalar()
    assert forced is True
