"""Monthly range partitions of the BI event tables (seed 000: `utm_tracking_2025_01`, …).

Partitions are created ahead of time by the `tracking.maintain_partitions` job (and for the
first months by the migration); those wholly older than the retention are detached, which
keeps them as ordinary tables for archiving instead of deleting data.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import tenant_rls_sql

PARTITIONED_TABLES = ("utm_tracking", "page_views", "events")
# How long the collector remembers a stored event id (`event_ids`): a retry within this time
# is a duplicate whatever timestamp it claims. The tracker retries within seconds and the
# collector refuses timestamps older than 7 days, so a month is a wide margin.
EVENT_ID_MEMORY = timedelta(days=30)
FORGET_EVENT_IDS = "DELETE FROM event_ids WHERE seen_at < now() - make_interval(days => :days)"
_NAME = re.compile(r"^(?P<parent>[a-z_]+)_(?P<year>\d{4})_(?P<month>\d{2})$")


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def partition_name(parent: str, month: date) -> str:
    return f"{parent}_{month.year:04d}_{month.month:02d}"


def create_statements(parent: str, month: date) -> list[str]:
    """Create the month's partition (if missing) behind the same row-level security."""
    name = partition_name(parent, month)
    start, end = month.replace(day=1), add_months(month, 1)
    statements = [
        f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {parent} "
        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    ]
    # Queries go through the parent, whose policy applies; the partition gets its own too,
    # so that even a query naming the partition directly stays inside its organization.
    rls = tenant_rls_sql(name)
    statements += [rls[0], rls[1], f"DROP POLICY IF EXISTS tenant_isolation ON {name}", rls[2]]
    return statements


def months_to_create(today: date, *, ahead: int, behind: int = 1) -> list[date]:
    first = today.replace(day=1)
    return [add_months(first, offset) for offset in range(-behind, ahead + 1)]


def month_of(partition: str) -> date | None:
    """The first day of a partition's month (None: not a monthly partition's name)."""
    match = _NAME.match(partition)
    if match is None:
        return None
    return date(int(match["year"]), int(match["month"]), 1)


def expired(partition: str, today: date, *, retention_months: int) -> bool:
    """Whether a partition's whole month is older than the retention window."""
    month = month_of(partition)
    if month is None:
        return False
    return add_months(month, 1) <= add_months(today.replace(day=1), -retention_months)


LIST_PARTITIONS = """
SELECT child.relname
FROM pg_inherits
JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
JOIN pg_class child ON child.oid = pg_inherits.inhrelid
WHERE parent.relname = :parent
ORDER BY child.relname
"""


async def create_months_since(session: AsyncSession, since: date, until: date) -> None:
    """Every event table's monthly partitions from `since`'s month to `until`'s (data that
    reaches into past months: the demo, tests); the job creates only the current and
    coming ones. The session needs the system scope."""
    month = since.replace(day=1)
    while month <= until:
        for parent in PARTITIONED_TABLES:
            for statement in create_statements(parent, month):
                await session.execute(text(statement))
        month = add_months(month, 1)
