"""The month levels of the rollups (`month_models`): written by the refresh from the day
levels, read for the whole months of a period that is not grouped by day.

A month row is the sum of its days' rows at the same level, written in the refresh's
transaction after those days: reading it instead of the days gives the same sums. A
period's whole local months (first to last day inside it) come from the month level, its
edge days from the day level, and the moments after the rollups' `through` from the raw
rows, as for the days (`rollups.read`).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Select, and_, cast, delete, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from rastro.analytics.service.rollup_shapes import Rollup, Window


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (month_start(day) + timedelta(days=32)).replace(day=1)


def whole_months(date_from: date, date_to: date) -> tuple[date, date] | None:
    """The first day of the first whole month in [date_from, date_to] and the first day
    after the last one (None: the days hold no whole month)."""
    first = date_from if date_from.day == 1 else next_month(date_from)
    after = next_month(date_to) if next_month(date_to) - timedelta(days=1) == date_to else None
    end = after or month_start(date_to)
    return (first, end) if first < end else None


def _covered(column: Any, window: Window) -> ColumnElement[bool]:
    """Condition on a day or month column: within the months of the window's days."""
    if window.every_day:
        return literal(True)
    ranges: list[ColumnElement[bool]] = []
    if window.from_day is not None:
        ranges.append(column >= month_start(window.from_day))
    for first in sorted({month_start(d) for d in window.days}):
        if window.from_day is None or first < month_start(window.from_day):
            ranges.append(and_(column >= first, column < next_month(first)))
    return or_(*ranges)


async def write_months(
    bi: AsyncSession, organization_id: uuid.UUID, rollup: Rollup, window: Window
) -> None:
    """Replace the month rows of every month holding a day of `window`, each month level
    summed from its day level (which the caller has just written)."""
    for level, month_level in zip(rollup.levels, rollup.months, strict=True):
        if month_level is None:
            continue
        await bi.execute(delete(month_level).where(_covered(month_level.month, window)))
        day = level.__table__.c.day
        month = cast(func.date_trunc("month", day), Date)
        columns = [level.__table__.c[c] for c in (*rollup.dimensions(level), *rollup.keys)]
        summed = (
            select(
                literal(organization_id),
                month,
                *columns,
                *(func.sum(level.__table__.c[m]) for m in rollup.measures),
            )
            .where(_covered(day, window))
            .group_by(month, *columns)
        )
        names = ["organization_id", "month", *rollup.dimensions(level), *rollup.keys]
        await bi.execute(insert(month_level).from_select([*names, *rollup.measures], summed))


def stored_parts(
    rollup: Rollup,
    level: type[Any],
    date_from: date,
    date_to: date,
    names: list[str],
    *,
    months: bool,
) -> list[Select[Any]]:
    """The stored rows of [date_from, date_to] at `level` with columns `names`: with
    `months` (and no `day` among the names) the whole months from its month level and the
    other days from the day level, else every day from the day level."""
    month_level = rollup.month_of(level) if months else None
    whole = whole_months(date_from, date_to) if month_level is not None else None
    if month_level is None or whole is None:
        days = select(*(getattr(level, c) for c in names))
        return [days.where(level.day >= date_from, level.day <= date_to)]
    first, end = whole
    parts = [
        select(*(getattr(month_level, c) for c in names)).where(
            month_level.month >= first, month_level.month < end
        )
    ]
    if date_from < first:
        parts.append(
            select(*(getattr(level, c) for c in names)).where(
                level.day >= date_from, level.day < first
            )
        )
    if end <= date_to:
        parts.append(
            select(*(getattr(level, c) for c in names)).where(
                level.day >= end, level.day <= date_to
            )
        )
    return parts
