"""The monthly event partitions other modules may retire (the privacy module's retention):
`page_views` and `events`, which the analytics rollups summarise. `utm_tracking` is not
among them — its touches are what attribution reads, and no rollup holds them — so it is
only ever detached (`tracking.maintain_partitions`, `EVENT_RETENTION_MONTHS`).

A partition is shared by every organization: the caller decides when its month is past
every organization's retention and covered by their rollups; these functions only list
the partitions, say which organizations have rows in one, and drop it. The session needs
the system scope.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.tracking import partitions

ROLLED_UP_TABLES = ("page_views", "events")


@dataclass(frozen=True)
class EventPartition:
    parent: str
    name: str
    month: date  # its first day

    @property
    def ends_at(self) -> datetime:
        """The first moment after the partition's month (UTC, as its bounds are)."""
        end = partitions.add_months(self.month, 1)
        return datetime(end.year, end.month, 1, tzinfo=UTC)


async def rolled_up_partitions(session: AsyncSession) -> list[EventPartition]:
    """The attached monthly partitions of the tables the rollups summarise, oldest first."""
    found: list[EventPartition] = []
    for parent in ROLLED_UP_TABLES:
        names = (
            await session.execute(text(partitions.LIST_PARTITIONS), {"parent": parent})
        ).scalars()
        for name in names:
            month = partitions.month_of(name)
            if month is not None:
                found.append(EventPartition(parent, name, month))
    return sorted(found, key=lambda p: (p.month, p.parent))


async def first_month_held(session: AsyncSession) -> date | None:
    """The first month from which every rolled-up table still holds its rows (the latest of
    their oldest attached partitions); None when one of them has no partition at all. Rows
    of earlier months are gone (retention dropped or detached their partitions)."""
    oldest: list[date] = []
    for parent in ROLLED_UP_TABLES:
        names = (
            await session.execute(text(partitions.LIST_PARTITIONS), {"parent": parent})
        ).scalars()
        months = [m for m in map(partitions.month_of, names) if m is not None]
        if not months:
            return None
        oldest.append(min(months))
    return max(oldest)


async def partition_organizations(
    session: AsyncSession, partition: EventPartition
) -> list[uuid.UUID]:
    """The organizations with rows in the partition (one pass over it)."""
    _check(partition)
    rows = await session.execute(
        text(f"SELECT DISTINCT organization_id FROM {partition.name}")  # noqa: S608 - checked name
    )
    return sorted(rows.scalars())


async def drop_partition(session: AsyncSession, partition: EventPartition) -> None:
    """Detach the partition from its table, then drop it (its rows are gone)."""
    _check(partition)
    await session.execute(text(f"ALTER TABLE {partition.parent} DETACH PARTITION {partition.name}"))
    await session.execute(text(f"DROP TABLE {partition.name}"))


def expired(partition: EventPartition, today: date, *, retention_months: int) -> bool:
    """Whether the partition's whole month is older than `retention_months` before today."""
    return partitions.expired(partition.name, today, retention_months=retention_months)


def _check(partition: EventPartition) -> None:
    # The names go into SQL: only a partition of a rolled-up table, named by its month.
    if partition.parent not in ROLLED_UP_TABLES or partition.name != partitions.partition_name(
        partition.parent, partition.month
    ):
        raise ValueError("not an event partition")
