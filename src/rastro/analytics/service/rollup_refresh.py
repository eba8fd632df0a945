"""The refresh of the rollups (`rollups`, `visitor_sets`, `lead_sets`, `first_touches`,
`journey_store`), every 5 minutes from the worker or on demand.

`refresh` records `through`, the moment it started: the rollups then hold exactly the rows
whose moment (a session's start, a lead's creation, qualification or win, a page view) is
before it, grouped by the organization's local day (`rollup_state.timezone`). It copies
the sessions started since `LATE_SESSIONS` before the last refresh into `session_facts`
(a session keeps growing while it is active), then re-aggregates the days from there and
the days whose lead outcomes changed since the last refresh; last, it stores the first
touch and the touches of the leads that changed (what the cohorts, attribution and
journeys reports read). A new organization timezone makes the next refresh a full one.

A full refresh given `side` connections (the worker's) runs on two connections at once
instead of one (a refresh is single-core bound: bench/README.md, 2026-12-07):

1. the `session_facts` copy and the new visitors' numbers commit first, on a side
   connection (they are facts, not rollups: a reader sees fresher sessions, never a
   half-written rollup), beside the leads' first touches and journeys (each stored row
   is checked against its lead when read);
2. then each rollup's levels (conversions, events, paths, visitor sets) are aggregated
   into unlogged tables, each in its own transaction, `SIDE_CONNECTIONS` at a time
   (`rollup_staging.run_on_side`);
3. the refresh's own transaction replaces the rollups' rows with the staged ones, writes
   the month levels, the leads' visitor sets and `rollup_state`, and drops the staged
   tables: readers see the old rollups or the new ones, never a mix.

An incremental refresh (a few days) stays in the refresh's own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, func, literal, select, text, tuple_, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import FromClause, TableClause

from rastro.analytics.models import ConversionFact, RollupState, SessionFact
from rastro.analytics.service import first_touches, journey_store, rollup_months, rollups
from rastro.analytics.service.rollup_shapes import (
    CONVERSIONS,
    EVENTS,
    LATE_OUTCOMES,
    LATE_SESSIONS,
    PATHS,
    REFRESH_WORK_MEM,
    Rollup,
    Window,
    local_day,
)
from rastro.analytics.service.rollup_staging import (
    Clock,
    SideJob,
    drop_leftovers,
    drop_tables,
    run_on_side,
    stage,
    stage_prefix,
)
from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary
from rastro.tracking.service import facts as tracking_facts
from rastro.tracking.service import partitions as tracking_partitions

# Connections a full refresh with side connections stages on at once.
SIDE_CONNECTIONS = 2

RowsOf = Callable[[FromClause, Window, tuple[str, ...]], Select[Any]]


@dataclass(frozen=True)
class RefreshResult:
    through: datetime
    full: bool
    days_rewritten: int | None  # None: every day (a full refresh)


async def _copy_sessions(
    bi: AsyncSession, organization_id: uuid.UUID, since: datetime | None
) -> None:
    """Upsert tracking's sessions started since `since` (all when None) into
    `session_facts`; rows already equal are left alone (no new row versions)."""
    source = rollups.session_facts_source(since).subquery("sessions")
    columns = [c.name for c in source.c]
    kept = [c for c in columns if c != "session_id"]
    # Only the sessions new or changed since the last copy go to the upsert: the join
    # reads session_facts once (a hash join in a full refresh, where most are unchanged),
    # instead of the upsert probing its key for each of a million sessions; staged (with
    # parallel workers, like the rollups' complete levels) and then upserted.
    stored = SessionFact.__table__.alias("stored")
    fresh = (
        select(*source.c)
        .outerjoin(stored, stored.c.session_id == source.c.session_id)
        .where(
            stored.c.session_id.is_(None)
            | tuple_(*(stored.c[c] for c in kept)).is_distinct_from(
                tuple_(*(source.c[c] for c in kept))
            )
        )
    )
    staged = await stage(bi, "staged_session_facts", fresh)
    rows = select(literal(organization_id), *(staged.c[c] for c in columns))
    statement = insert(SessionFact).from_select(["organization_id", *columns], rows)
    changed = tuple_(*(SessionFact.__table__.c[c] for c in kept)).is_distinct_from(
        tuple_(*(statement.excluded[c] for c in kept))
    )
    updated = {c: statement.excluded[c] for c in kept}
    await bi.execute(
        statement.on_conflict_do_update(index_elements=["session_id"], set_=updated, where=changed)
    )
    await drop_tables(bi, [staged])
    if since is None:  # sessions gone from tracking (a purge) leave the facts too
        current = tracking_facts.human_session_ids()
        await bi.execute(delete(SessionFact).where(SessionFact.session_id.not_in(current)))


async def _changed_days(
    bi: AsyncSession, timezone: str, since: datetime, before: date
) -> list[date]:
    """The local days before `before` holding a lead outcome written since `since`."""
    f = ConversionFact
    days = union_all(
        *(
            select(local_day(moment, timezone).label("day")).where(
                f.updated_at >= since, moment.is_not(None)
            )
            for moment in (f.created_at, f.qualified_at, f.won_at)
        )
    ).subquery()
    found = await bi.scalars(select(days.c.day).distinct().where(days.c.day < before))
    return sorted(found)


def _level_rows(rollup: Rollup, complete: TableClause) -> list[Select[Any]]:
    """Every level's rows (day, dimensions, keys, measures) from the complete level's rows
    in `complete`: the smaller levels summed, the complete one as it is."""
    levels = []
    for level in rollup.levels[:-1]:
        keys = [complete.c[c] for c in ["day", *rollup.dimensions(level), *rollup.keys]]
        sums = (func.sum(complete.c[m]).label(m) for m in rollup.measures)
        levels.append(select(*keys, *sums).group_by(*keys))
    return [*levels, select(*(complete.c[c] for c in rollup.columns(rollup.complete)))]


async def _replace_levels(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    rollup: Rollup,
    window: Window,
    rows: list[Select[Any]],
) -> None:
    """Replace the window's days of every level of `rollup` with `rows` (one query per
    level, in its order); then the months of those days in the month levels."""
    for level in rollup.levels:
        await bi.execute(delete(level).where(window.rows(level.day)))
    for level, query in zip(rollup.levels, rows, strict=True):
        source = query.subquery("level_rows")
        columns = rollup.columns(level)
        await bi.execute(
            insert(level).from_select(
                ["organization_id", *columns],
                select(literal(organization_id), *(source.c[c] for c in columns)),
            )
        )
    if rollup.months:
        await rollup_months.write_months(bi, organization_id, rollup, window)


async def write_levels(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    rollup: Rollup,
    window: Window,
    rows: Select[Any],
) -> None:
    """Replace the window's days of every level of `rollup`: `rows` (with the complete
    level's dimensions) into the complete level, each other level summed from it; then
    the months of those days in the month levels, when the rollup has them."""
    # Aggregated into a temporary table first: PostgreSQL runs `CREATE TABLE … AS SELECT`
    # with parallel workers, `INSERT … SELECT` never (figures in bench/README.md).
    name = f"staged_{rollup.complete.__tablename__}"
    staged = await stage(bi, name, select(*rows.subquery("rows").c))
    await _replace_levels(bi, organization_id, rollup, window, _level_rows(rollup, staged))
    await drop_tables(bi, [staged])


async def stage_levels(
    bi: AsyncSession, rollup: Rollup, rows: Select[Any], prefix: str
) -> list[TableClause]:
    """Every level's rows in an unlogged table named `prefix` and the level's place (the
    complete level from `rows`, the others summed from it), for `_replace_levels`."""
    last = len(rollup.levels) - 1
    complete = await stage(bi, f"{prefix}{last}", select(*rows.subquery("rows").c), unlogged=True)
    summed = _level_rows(rollup, complete)[:-1]
    staged = [await stage(bi, f"{prefix}{i}", q, unlogged=True) for i, q in enumerate(summed)]
    return [*staged, complete]


async def _held_from(bi: AsyncSession, timezone: str) -> date | None:
    """The first local day whose page views and events are all still stored: a full
    refresh rewrites the event and path rollups from there on and keeps the days before,
    whose raw rows retention has dropped (their rollups are all that is left of them)."""
    month = await tracking_partitions.first_month_held(bi)
    if month is None:
        return None
    start = datetime(month.year, month.month, 1, tzinfo=UTC).astimezone(ZoneInfo(timezone))
    # The local day the partition starts in is whole only if it starts at local midnight.
    midnight = (start.hour, start.minute, start.second) == (0, 0, 0)
    return start.date() if midnight else start.date() + timedelta(days=1)


def _rollups(
    window: Window, events_window: Window | None
) -> list[tuple[Rollup, RowsOf, str, Window]]:
    """Each rollup, the aggregate of its complete level, its step's name and its days."""
    # Imported here: those modules build on `rollups`' helpers at import time.
    from rastro.analytics.service import behavior, event_summary

    return [
        (CONVERSIONS, rollups.conversion_rows, "conversions", window),
        (EVENTS, event_summary.rows, "events", events_window or window),
        (PATHS, behavior.path_rows_of, "paths", events_window or window),
    ]


async def _write_all(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    window: Window,
    clock: Clock,
    *,
    events_window: Window | None = None,
) -> None:
    """Every rollup's days of `window` (the event and path rollups' of `events_window`
    when given), from `session_facts` as just written, in this transaction."""
    from rastro.analytics.service import lead_sets, visitor_sets

    await visitor_sets.write_sets(bi, organization_id, window)
    await lead_sets.write_lead_sets(bi, organization_id, window)
    clock.lap("visitor sets")
    sessions = SessionFact.__table__
    for rollup, rows, step, days in _rollups(window, events_window):
        dimensions = rollup.dimensions(rollup.complete)
        await write_levels(bi, organization_id, rollup, days, rows(sessions, days, dimensions))
        clock.lap(step)


async def _write_all_on_side(
    bi: AsyncSession,
    side: TransactionBoundary,
    organization_id: uuid.UUID,
    window: Window,
    clock: Clock,
    *,
    events_window: Window | None,
    connections: int,
) -> None:
    """A full refresh's copy of the sessions, its rollups and the leads' first touches and
    journeys on side connections (`connections` at once), each committed on its own; then
    the staged rollups moved into place in this transaction."""
    from rastro.analytics.service import lead_sets, visitor_sets

    prefix = stage_prefix(organization_id)
    sessions = SessionFact.__table__
    plan = _rollups(window, events_window)

    async def copy(session: AsyncSession) -> list[TableClause]:
        await _copy_sessions(session, organization_id, None)
        await visitor_sets.number_visitors(session, organization_id, window)
        return []

    async def touches(session: AsyncSession) -> list[TableClause]:
        await first_touches.refresh_first_touches(session, organization_id, since=None)
        await journey_store.refresh_lead_journeys(session, organization_id, since=None)
        return []

    def levels(rollup: Rollup, rows: RowsOf, step: str, days: Window) -> SideJob:
        query = rows(sessions, days, rollup.dimensions(rollup.complete))
        return SideJob(step, lambda s: stage_levels(s, rollup, query, f"{prefix}{step}"))

    staging = {entry[2]: levels(*entry) for entry in plan}
    jobs = [
        SideJob("session_facts copy", copy, waits=False),
        # Reads the leads and tracking's touches only: beside the copy.
        SideJob("first touches and journeys", touches, waits=False),
        # Longest first (bench/README.md): paths, events, the visitor sets, conversions.
        staging["paths"],
        staging["events"],
        SideJob("visitor sets", lambda s: visitor_sets.stage_sets(s, window, f"{prefix}sets")),
        staging["conversions"],
    ]
    scope = Scope.organization(organization_id)
    staged = await run_on_side(
        side, scope, jobs, first="session_facts copy", connections=connections, steps=clock.steps
    )
    clock.lap("on side connections")
    await lead_sets.write_lead_sets(bi, organization_id, window)
    await visitor_sets.move_sets(bi, organization_id, window, staged["visitor sets"])
    clock.lap("visitor sets")
    for rollup, _, step, days in plan:
        rows = [select(*table.c) for table in staged[step]]
        await _replace_levels(bi, organization_id, rollup, days, rows)
        clock.lap(step)
    await drop_tables(bi, [table for tables in staged.values() for table in tables])


async def refresh(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    *,
    timezone: str,
    full: bool = False,
    steps: dict[str, float] | None = None,
    side: TransactionBoundary | None = None,
    connections: int = SIDE_CONNECTIONS,
) -> RefreshResult:
    """Bring the organization's rollups up to now, in the days of `timezone` (everything
    when `full`, never refreshed, or built for another timezone; `steps` gets the seconds
    of each step). Concurrent refreshes of one organization wait for each other. With
    `side` (the BI database's boundary), a full refresh copies the sessions and stages the
    rollups on `connections` side connections at once, each job committed on its own;
    `bi`'s transaction must then not have written the refresh's tables (the side ones
    would wait for it)."""
    clock = Clock(steps)
    lock = func.hashtextextended(str(organization_id), 7)
    await bi.execute(select(func.pg_advisory_xact_lock(lock)))
    await bi.execute(text(f"SET LOCAL work_mem = '{REFRESH_WORK_MEM}'"))
    through = datetime.now(UTC)
    state = await bi.get(RollupState, organization_id, with_for_update=True)
    since: datetime | None = None
    if side is not None:
        await drop_leftovers(bi, organization_id)
    if full or state is None or state.timezone != timezone:
        clock.lap("lock and state")
        window = Window(timezone, before=through)
        held_from = await _held_from(bi, timezone)
        events_window = Window(timezone, before=through, from_day=held_from) if held_from else None
        if side is None:
            await _copy_sessions(bi, organization_id, None)
            clock.lap("session_facts copy")
            await _write_all(bi, organization_id, window, clock, events_window=events_window)
        else:
            await _write_all_on_side(
                bi,
                side,
                organization_id,
                window,
                clock,
                events_window=events_window,
                connections=connections,
            )
        rewritten = None
    else:
        since = state.through - LATE_SESSIONS
        clock.lap("lock and state")
        await _copy_sessions(bi, organization_id, since)
        clock.lap("session_facts copy")
        tz_since = since.astimezone(ZoneInfo(timezone)).date()
        extra = await _changed_days(bi, timezone, state.refreshed_at - LATE_OUTCOMES, tz_since)
        window = Window(timezone, before=through, from_day=tz_since, days=tuple(extra))
        await _write_all(bi, organization_id, window, clock)
        today = through.astimezone(ZoneInfo(timezone)).date()
        rewritten = (today - tz_since).days + 1 + len(extra)
    if side is None or rewritten is not None:  # else stored on a side connection
        await first_touches.refresh_first_touches(bi, organization_id, since=since)
        clock.lap("first touches")
        await journey_store.refresh_lead_journeys(bi, organization_id, since=since)
        clock.lap("lead journeys")
    values = {"through": through, "refreshed_at": through, "timezone": timezone}
    statement = insert(RollupState).values({"organization_id": organization_id, **values})
    await bi.execute(
        statement.on_conflict_do_update(index_elements=["organization_id"], set_=values)
    )
    return RefreshResult(through=through, full=rewritten is None, days_rewritten=rewritten)


__all__ = ["SIDE_CONNECTIONS", "RefreshResult", "refresh", "stage_levels", "write_levels"]
