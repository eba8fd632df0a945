"""Exact distinct visitors over any range and filters, without counting `session_facts`.

Distinct visitors do not add up across days or dimension values, so the rollups cannot
hold them. Instead the refresh gives every visitor (`session_facts.visitor_key`) a dense
number (`visitor_numbers`) and writes, per local day and dimension values, the numbers
of the visitors of the sessions started then and those sessions' page views, in the same
order (`visitor_sets_by_campaign`: site, channel, source/medium, device, landing page and
campaign; `visitor_sets_by_page`: without the campaign; `visitor_sets_by_channel`:
without either; the smaller two concatenated from the first). A report asks PostgreSQL
for the concatenated numbers of the rows it needs (one `string_agg` per group: day,
landing page, domain or all) and counts the distinct ones in memory (a bitmap or a sort,
`numpy`), or the sessions and page views per visitor (`returning`). The newest sessions,
after the refresh's `through`, come from tracking's raw sessions with their visitors'
numbers (visitors not numbered yet get numbers above every stored one): the union is
exact, never a sum of per-day counts.

A filter on content or term (no set has them) or rollups that are not there yet (never
refreshed, another timezone) count `count(DISTINCT visitor_key)` over the sessions
(`rollups.visitor_keys`), as before the sets. Figures in bench/README.md ("Analytics
rollups").
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Select, delete, func, literal, literal_column, null, select
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, TableClause

from rastro.analytics.models import (
    SessionFact,
    VisitorNumber,
    VisitorSetsByCampaign,
    VisitorSetsByChannel,
    VisitorSetsByPage,
)
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service import rollups
from rastro.analytics.service.rollup_shapes import Window, local_day
from rastro.analytics.service.rollup_staging import stage

# Smallest first; the last is written from session_facts, the others from it.
LEVELS: tuple[type[Any], ...] = (VisitorSetsByChannel, VisitorSetsByPage, VisitorSetsByCampaign)
NUMBER = np.dtype(">i4")  # int4send's bytes
EMPTY: ColumnElement[bytes] = literal_column("''::bytea")
DAY = "day"
SET_COLUMNS = ("sessions", "visitors", "page_views")


def _dimensions(level: type[Any]) -> tuple[str, ...]:
    return tuple(d for d in rollups.DIMENSIONS if d in level.__table__.c)


def level_for(needed: Iterable[str]) -> type[Any] | None:
    """The smallest level with every dimension of `needed` (None: none has them)."""
    wanted = set(needed)
    return next((lv for lv in LEVELS if wanted <= set(_dimensions(lv))), None)


# --- the refresh ------------------------------------------------------------------------


async def number_visitors(bi: AsyncSession, organization_id: uuid.UUID, window: Window) -> None:
    """Number the visitors of the window's sessions that have no number yet."""
    f = SessionFact
    known = select(VisitorNumber.visitor_key)
    fresh = (
        select(f.visitor_key).where(*window.moments(f.started_at)).except_(known).subquery("new")
    )
    top = select(func.coalesce(func.max(VisitorNumber.number), 0)).scalar_subquery()
    rows = select(
        literal(organization_id),
        fresh.c.visitor_key,
        top + func.row_number().over(order_by=fresh.c.visitor_key),
    )
    await bi.execute(
        insert(VisitorNumber).from_select(["organization_id", "visitor_key", "number"], rows)
    )


def set_rows(window: Window) -> Select[Any]:
    """The complete level's rows of the window's days (without the organization): day,
    dimensions and the SET_COLUMNS, from `session_facts` and the visitors' numbers."""
    f, n = SessionFact, VisitorNumber
    dims = _dimensions(LEVELS[-1])
    day = local_day(f.started_at, window.timezone).label(DAY)
    # Both in one order (ties are equal pairs), so the n-th page views go with the n-th
    # number.
    order = (n.number, f.page_views)
    numbers = func.string_agg(func.int4send(n.number), aggregate_order_by(EMPTY, *order))
    views = func.string_agg(func.int4send(f.page_views), aggregate_order_by(EMPTY, *order))
    return (
        select(
            day,
            *(getattr(f, d) for d in dims),
            func.count().label("sessions"),
            numbers.label("visitors"),
            views.label("page_views"),
        )
        .join(n, (n.organization_id == f.organization_id) & (n.visitor_key == f.visitor_key))
        .where(*window.moments(f.started_at))
        .group_by(day, *(getattr(f, d) for d in dims))
    )


def _summed(level: type[Any], complete: Any) -> Select[Any]:
    """`level`'s rows concatenated from the complete level's rows in `complete`."""
    keys = [complete.c[c] for c in (DAY, *_dimensions(level))]
    # One aggregate step feeds every row to both `string_agg`s in the same order.
    return select(
        *keys,
        func.sum(complete.c.sessions).label("sessions"),
        func.string_agg(complete.c.visitors, EMPTY).label("visitors"),
        func.string_agg(complete.c.page_views, EMPTY).label("page_views"),
    ).group_by(*keys)


async def _insert(
    bi: AsyncSession, organization_id: uuid.UUID, level: type[Any], rows: Select[Any]
) -> None:
    source = rows.subquery("set_rows")
    names = [DAY, *_dimensions(level), *SET_COLUMNS]
    await bi.execute(
        insert(level).from_select(
            ["organization_id", *names],
            select(literal(organization_id), *(source.c[c] for c in names)),
        )
    )


async def write_sets(bi: AsyncSession, organization_id: uuid.UUID, window: Window) -> None:
    """Replace the window's days of every visitor-set level from `session_facts` (its
    visitors numbered first)."""
    await number_visitors(bi, organization_id, window)
    for level in LEVELS:
        await bi.execute(delete(level).where(window.rows(level.day)))
    complete = LEVELS[-1]
    await _insert(bi, organization_id, complete, set_rows(window))
    table = complete.__table__
    for level in LEVELS[:-1]:
        await _insert(
            bi, organization_id, level, _summed(level, table).where(window.rows(table.c.day))
        )


async def stage_sets(bi: AsyncSession, window: Window, prefix: str) -> list[TableClause]:
    """Every level's rows of the window's days in unlogged tables named `prefix` and the
    level's place (LEVELS' order), the visitors numbered already; `move_sets` puts them in."""
    complete = await stage(bi, f"{prefix}{len(LEVELS) - 1}", set_rows(window), unlogged=True)
    staged = [
        await stage(bi, f"{prefix}{i}", _summed(level, complete), unlogged=True)
        for i, level in enumerate(LEVELS[:-1])
    ]
    return [*staged, complete]


async def move_sets(
    bi: AsyncSession, organization_id: uuid.UUID, window: Window, staged: list[TableClause]
) -> None:
    """Replace the window's days of every level with the rows `stage_sets` staged."""
    for level in LEVELS:
        await bi.execute(delete(level).where(window.rows(level.day)))
    for level, table in zip(LEVELS, staged, strict=True):
        await _insert(bi, organization_id, level, select(*table.c))


# --- the reports ------------------------------------------------------------------------


def _distinct(numbers: np.ndarray[Any, Any]) -> int:
    """How many distinct numbers the array holds."""
    if numbers.size == 0:
        return 0
    top = int(numbers.max())
    if numbers.size * 16 < top:  # few numbers: sorting them is cheaper than a bitmap
        # Not `np.unique`: numpy 2's hash-based unique took 12 times as long as this sort
        # on a day's 2,700 numbers (155 ms against 13 ms for 365 days).
        ordered = np.sort(numbers)
        return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))
    seen = np.zeros(top + 1, dtype=np.bool_)
    seen[numbers] = True
    return int(np.count_nonzero(seen))


def _key(source: Any, by: str | None, timezone: str) -> ColumnElement[Any]:
    column: ColumnElement[Any]
    if by is None:
        column = null()
    elif by == DAY:
        column = source.c.day if DAY in source.c else local_day(source.c.started_at, timezone)
    else:
        column = source.c[by]
    return column.label("key")


async def count_distinct(bi: AsyncSession, scope: Any, by: str | None) -> dict[Hashable, int]:
    """`count(DISTINCT visitor_key)` over the period's sessions (no set answers)."""
    visits = scope.visits()
    key = _key(visits, by, scope.timezone)
    query: Select[Any] = select(key, func.count(func.distinct(visits.c.visitor_key))).where(
        *report_filters.conditions(visits, scope.filters)
    )
    if by is not None:
        query = query.group_by(key)
    return {k: int(n) for k, n in await bi.execute(query)}


def answers(scope: Any, by: str | None) -> bool:
    """Whether the sets answer the scope's filters grouped by `by` (rollups there, in the
    scope's timezone, and a level with every dimension needed)."""
    needed = [*scope.filtered_dimensions, *([by] if by not in (None, DAY) else [])]
    return scope.through is not None and level_for(needed) is not None


@dataclass
class SessionSets:
    """The period's sessions per group: their visitors' numbers (one per session) and,
    when asked for, their page views in the same order. Visitors of the newest sessions
    that the refresh has not numbered yet get numbers above every stored one
    (`unnumbered`: visitor_key → that number)."""

    numbers: dict[Hashable, np.ndarray[Any, Any]] = field(default_factory=dict)
    page_views: dict[Hashable, np.ndarray[Any, Any]] = field(default_factory=dict)
    unnumbered: dict[int, int] = field(default_factory=dict)


def _joined(parts: list[np.ndarray[Any, Any]]) -> np.ndarray[Any, Any]:
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


async def session_sets(
    bi: AsyncSession, scope: Any, by: str | None, *, with_page_views: bool = False
) -> SessionSets:
    """The sessions started in the scope's period (an overview `Scope`) with its filters,
    per `by` (None: one group), from the smallest set level that has the dimensions and
    tracking's raw sessions after the refresh's `through`. Only when `answers`."""
    needed = [*scope.filtered_dimensions, *([by] if by not in (None, DAY) else [])]
    level = level_for(needed)
    if scope.through is None or level is None:
        raise ValueError("no visitor set answers this scope (check `answers` first)")
    period = scope.period
    table = level.__table__
    key = _key(table, by, scope.timezone)
    aggregates = [func.string_agg(table.c.visitors, EMPTY)]
    if with_page_views:
        aggregates.append(func.string_agg(table.c.page_views, EMPTY))
    stored: Select[Any] = select(key, *aggregates).where(
        table.c.day >= period.date_from,
        table.c.day <= period.date_to,
        *report_filters.conditions(table, scope.filters),
    )
    if by is not None:
        stored = stored.group_by(key)
    numbers: dict[Hashable, list[np.ndarray[Any, Any]]] = defaultdict(list)
    views: dict[Hashable, list[np.ndarray[Any, Any]]] = defaultdict(list)
    for value, found, *pages in await bi.execute(stored):
        if found:
            numbers[value].append(np.frombuffer(found, dtype=NUMBER).astype(np.int64))
            if with_page_views:
                views[value].append(np.frombuffer(pages[0], dtype=NUMBER).astype(np.int64))
    result = SessionSets()
    split = min(max(scope.through, period.start), period.end)
    if split < period.end:
        raw = rollups.raw_sessions(split)
        raw_key = _key(raw, by, scope.timezone)
        rows = (
            await bi.execute(
                select(raw_key, raw.c.visitor_key, VisitorNumber.number, raw.c.page_views)
                .outerjoin(VisitorNumber, VisitorNumber.visitor_key == raw.c.visitor_key)
                .where(
                    raw.c.started_at < period.end,
                    *report_filters.conditions(raw, scope.filters),
                )
            )
        ).all()
        top: int | None = None
        fresh: dict[Hashable, list[tuple[int, int]]] = defaultdict(list)
        for value, visitor_key, number, page_views in rows:
            if number is None:
                if top is None:
                    top = int(await bi.scalar(select(func.max(VisitorNumber.number))) or 0)
                number = result.unnumbered.setdefault(visitor_key, top + 1 + len(result.unnumbered))
            fresh[value].append((number, page_views))
        for value, pairs in fresh.items():
            found = np.array(pairs, dtype=np.int64).reshape(-1, 2)
            numbers[value].append(found[:, 0])
            views[value].append(found[:, 1])
    result.numbers = {k: _joined(p) for k, p in numbers.items()}
    if with_page_views:
        result.page_views = {k: _joined(p) for k, p in views.items()}
    return result


async def distinct_visitors(
    bi: AsyncSession, scope: Any, by: str | None = None
) -> dict[Hashable, int]:
    """Distinct visitors of the sessions started in the scope's period (an overview
    `Scope`: period, filters, through, timezone) with its filters: {None: count} when `by`
    is None, else per local day (`by="day"`) or per value of the dimension `by`."""
    if not answers(scope, by):
        return await count_distinct(bi, scope, by)
    counts = {k: _distinct(n) for k, n in (await session_sets(bi, scope, by)).numbers.items()}
    if by is None:
        return {None: counts.get(None, 0)}
    return {k: n for k, n in counts.items() if n}


async def daily_and_total(bi: AsyncSession, scope: Any) -> tuple[int, dict[Hashable, int]]:
    """The period's distinct visitors in all and per local day, from one read of the
    sets when they answer (the total is the union of the days' numbers)."""
    if not answers(scope, DAY):
        whole = await count_distinct(bi, scope, None)
        return whole.get(None, 0), await count_distinct(bi, scope, DAY)
    days = (await session_sets(bi, scope, DAY)).numbers
    per_day = {k: n for k, numbers in days.items() if (n := _distinct(numbers))}
    total = _distinct(np.concatenate(list(days.values()))) if days else 0
    return total, per_day


__all__ = [
    "LEVELS",
    "SessionSets",
    "answers",
    "count_distinct",
    "daily_and_total",
    "distinct_visitors",
    "level_for",
    "move_sets",
    "number_visitors",
    "session_sets",
    "stage_sets",
    "write_sets",
]
