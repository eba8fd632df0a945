"""Exact distinct visitors over any range and filters, without counting `session_facts`.

Distinct visitors do not add up across days or dimension values, so the rollups cannot
hold them. Instead the refresh gives every visitor (`session_facts.visitor_key`) a dense
number (`visitor_numbers`) and writes, per local day and dimension values, the numbers
of the visitors of the sessions started then (`visitor_sets_by_campaign`: site, channel,
source/medium, device, landing page and campaign; `visitor_sets_by_channel`: without the
last two, concatenated from the first). A report asks PostgreSQL for the concatenated
numbers of the rows it needs (one `string_agg` per group: day, landing page, or all) and
counts the distinct ones in memory (a bitmap or a sort, `numpy`). The newest sessions,
after the refresh's `through`, come from tracking's raw sessions with their visitors'
numbers (visitors not numbered yet are counted by their key): the union is exact, never
a sum of per-day counts.

A filter on content or term (no set has them) or rollups that are not there yet (never
refreshed, another timezone) count `count(DISTINCT visitor_key)` over the sessions
(`rollups.visitor_keys`), as before the sets. Figures in bench/README.md ("Analytics
rollups").
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
from sqlalchemy import Select, delete, func, literal, literal_column, null, select
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from rastro.analytics.models import (
    SessionFact,
    VisitorNumber,
    VisitorSetsByCampaign,
    VisitorSetsByChannel,
)
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service import rollups
from rastro.analytics.service.rollup_shapes import Window, local_day

# Smallest first; the last is written from session_facts, the others from it.
LEVELS: tuple[type[Any], ...] = (VisitorSetsByChannel, VisitorSetsByCampaign)
NUMBER = np.dtype(">i4")  # int4send's bytes
EMPTY: ColumnElement[bytes] = literal_column("''::bytea")
DAY = "day"


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


async def write_sets(bi: AsyncSession, organization_id: uuid.UUID, window: Window) -> None:
    """Replace the window's days of every visitor-set level from `session_facts` (its
    visitors numbered first)."""
    await number_visitors(bi, organization_id, window)
    for level in LEVELS:
        await bi.execute(delete(level).where(window.rows(level.day)))
    f, n = SessionFact, VisitorNumber
    complete = LEVELS[-1]
    dims = _dimensions(complete)
    day = local_day(f.started_at, window.timezone).label(DAY)
    numbers = func.string_agg(func.int4send(n.number), aggregate_order_by(EMPTY, n.number))
    rows = (
        select(
            literal(organization_id),
            day,
            *(getattr(f, d) for d in dims),
            func.count(),
            numbers,
        )
        .join(n, (n.organization_id == f.organization_id) & (n.visitor_key == f.visitor_key))
        .where(*window.moments(f.started_at))
        .group_by(day, *(getattr(f, d) for d in dims))
    )
    columns = ["organization_id", DAY, *dims, "sessions", "visitors"]
    await bi.execute(insert(complete).from_select(columns, rows))
    table = complete.__table__
    for level in LEVELS[:-1]:
        keys = [table.c[c] for c in (DAY, *_dimensions(level))]
        summed = (
            select(
                literal(organization_id),
                *keys,
                func.sum(table.c.sessions),
                func.string_agg(table.c.visitors, EMPTY),
            )
            .where(window.rows(table.c.day))
            .group_by(*keys)
        )
        columns = ["organization_id", DAY, *_dimensions(level), "sessions", "visitors"]
        await bi.execute(insert(level).from_select(columns, summed))


# --- the reports ------------------------------------------------------------------------


def _distinct(parts: list[np.ndarray[Any, Any]]) -> int:
    """How many distinct numbers the arrays hold together."""
    numbers = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if numbers.size == 0:
        return 0
    top = int(numbers.max())
    if numbers.size * 16 < top:  # few numbers: sorting them is cheaper than a bitmap
        return int(np.unique(numbers).size)
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


async def distinct_visitors(
    bi: AsyncSession, scope: Any, by: str | None = None
) -> dict[Hashable, int]:
    """Distinct visitors of the sessions started in the scope's period (an overview
    `Scope`: period, filters, through, timezone) with its filters: {None: count} when `by`
    is None, else per local day (`by="day"`) or per value of the dimension `by`."""
    needed = [*scope.filtered_dimensions, *([by] if by not in (None, DAY) else [])]
    level = level_for(needed)
    if scope.through is None or level is None:
        return await count_distinct(bi, scope, by)
    period = scope.period
    table = level.__table__
    key = _key(table, by, scope.timezone)
    stored: Select[Any] = select(key, func.string_agg(table.c.visitors, EMPTY)).where(
        table.c.day >= period.date_from,
        table.c.day <= period.date_to,
        *report_filters.conditions(table, scope.filters),
    )
    if by is not None:
        stored = stored.group_by(key)
    parts: dict[Hashable, list[np.ndarray[Any, Any]]] = defaultdict(list)
    for value, numbers in await bi.execute(stored):
        if numbers:
            parts[value].append(np.frombuffer(numbers, dtype=NUMBER))
    unnumbered: dict[Hashable, set[int]] = defaultdict(set)
    split = min(max(scope.through, period.start), period.end)
    if split < period.end:
        raw = rollups.raw_sessions(split)
        raw_key = _key(raw, by, scope.timezone)
        rows = await bi.execute(
            select(raw_key, raw.c.visitor_key, VisitorNumber.number)
            .outerjoin(VisitorNumber, VisitorNumber.visitor_key == raw.c.visitor_key)
            .where(raw.c.started_at < period.end, *report_filters.conditions(raw, scope.filters))
        )
        numbered: dict[Hashable, list[int]] = defaultdict(list)
        for value, visitor_key, number in rows:
            if number is None:
                unnumbered[value].add(visitor_key)
            else:
                numbered[value].append(number)
        for value, found in numbered.items():
            parts[value].append(np.array(found, dtype=np.int64))
    counts = {k: _distinct(p) for k, p in parts.items()}
    for value, keys in unnumbered.items():
        counts[value] = counts.get(value, 0) + len(keys)
    if by is None:
        return {None: counts.get(None, 0)}
    return {k: n for k, n in counts.items() if n}


__all__ = ["LEVELS", "count_distinct", "distinct_visitors", "level_for", "write_sets"]
