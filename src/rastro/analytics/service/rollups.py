"""The rollups per local day, in levels, maintained incrementally, and the same aggregate
over the raw rows for the moments they have not reached yet.

Each rollup (`CONVERSIONS`, `EVENTS`, `PATHS`) is kept at several levels, smallest first:
the last has every dimension and is aggregated from `session_facts`, `conversion_facts`
and tracking's events and page views; the others are summed from it (one code path for
every level). A report asks for the dimensions it groups by; with those of its filters,
`Rollup.level_for` picks the smallest level that has them all.

`refresh` (every 5 minutes from the worker, or on demand) records `through`, the moment it
started: the rollups then hold exactly the rows whose moment (a session's start, a lead's
creation, qualification or win, a page view) is before it, grouped by the organization's
local day (`rollup_state.timezone`). It copies the sessions started since `LATE_SESSIONS`
before the last refresh into `session_facts` (a session keeps growing while it is
active), then re-aggregates the days from there and the days whose lead outcomes changed
since the last refresh; last, it stores the first touch and the touches of the leads
that changed (`first_touches`, `journey_store`: what the cohorts, attribution and
journeys reports read). A new organization timezone makes the next refresh a full one;
until then the reports read the raw rows (`rollup_through` gives None). Readers add the
raw aggregate of [max(start, through), end), so the newest minutes are always counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    Select,
    String,
    cast,
    delete,
    extract,
    func,
    literal,
    null,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause, Subquery

from rastro.analytics.models import ConversionFact, RollupState, SessionFact
from rastro.analytics.schemas import Period
from rastro.analytics.service import first_touches, journey_store
from rastro.analytics.service.rollup_shapes import (
    CONVERSIONS as CONVERSIONS,
)
from rastro.analytics.service.rollup_shapes import (
    DIMENSIONS as DIMENSIONS,
)
from rastro.analytics.service.rollup_shapes import (
    EVENTS as EVENTS,
)
from rastro.analytics.service.rollup_shapes import (
    LATE_OUTCOMES as LATE_OUTCOMES,
)

# A session is still written to this long after it started (30 idle minutes end a visit;
# a long one, or a late batch, rarely goes past a few hours).
from rastro.analytics.service.rollup_shapes import (
    LATE_SESSIONS as LATE_SESSIONS,
)
from rastro.analytics.service.rollup_shapes import (
    MEASURES as MEASURES,
)
from rastro.analytics.service.rollup_shapes import (
    PATHS as PATHS,
)
from rastro.analytics.service.rollup_shapes import (
    REFRESH_WORK_MEM as REFRESH_WORK_MEM,
)
from rastro.analytics.service.rollup_shapes import (
    SESSION_COLUMNS as SESSION_COLUMNS,
)
from rastro.analytics.service.rollup_shapes import (
    Rollup as Rollup,
)
from rastro.analytics.service.rollup_shapes import (
    Window as Window,
)
from rastro.analytics.service.rollup_shapes import (
    local_day as local_day,
)
from rastro.analytics.service.rollup_staging import Clock, stage
from rastro.tracking.service import facts as tracking_facts
from rastro.tracking.service import partitions as tracking_partitions


def _zero(*, except_: dict[str, Any]) -> list[ColumnElement[Any]]:
    return [(except_[m] if m in except_ else literal(0)).label(m) for m in MEASURES]


def _seconds(later: Any, earlier: Any) -> ColumnElement[int]:
    return cast(func.round(extract("epoch", later - earlier)), Integer)


def conversion_rows(
    sessions: FromClause, window: Window, dimensions: tuple[str, ...] = DIMENSIONS
) -> Select[Any]:
    """Rows (day, `dimensions`, currency, measures) of the sessions of `sessions` (a table
    or subquery with session_facts' columns) and of `conversion_facts`, in `window`."""
    f = ConversionFact
    tz = window.timezone

    def fact_part(moment: Any, measures: dict[str, Any]) -> Select[Any]:
        currency = f.currency if "won" in measures else cast(null(), String(3))
        return select(
            local_day(moment, tz).label("day"),
            *(getattr(f, d) for d in dimensions),
            currency.label("currency"),
            *_zero(except_=measures),
        ).where(*window.moments(moment))

    c = sessions.c
    session_part = select(
        local_day(c.started_at, tz).label("day"),
        *(c[d] for d in dimensions),
        cast(null(), String(3)).label("currency"),
        *_zero(
            except_={
                "sessions": literal(1),
                "new_sessions": cast(c.is_new, Integer),
                "bounces": cast(c.page_views <= 1, Integer),
                "page_views": c.page_views,
                "events": c.events,
                "duration": c.duration,
                "converted_sessions": cast(c.converted, Integer),
            }
        ),
    ).where(*window.moments(c.started_at))
    parts = union_all(
        session_part,
        fact_part(
            f.created_at,
            {
                "leads": literal(1),
                "score_points": f.score_points,
                "conversion_seconds": func.coalesce(f.time_to_conversion, 0),
                "conversion_timed": cast(f.time_to_conversion.is_not(None), Integer),
            },
        ),
        fact_part(f.qualified_at, {"qualified": literal(1)}),
        fact_part(
            f.won_at,
            {
                "won": literal(1),
                "revenue": func.coalesce(f.revenue, 0),
                "sales_cycle_seconds": _seconds(f.won_at, f.created_at),
            },
        ),
    ).subquery("parts")
    keys = [parts.c.day, *(parts.c[d] for d in dimensions), parts.c.currency]
    return select(*keys, *(func.sum(parts.c[m]).label(m) for m in MEASURES)).group_by(*keys)


def _session_facts_source(since: datetime | None) -> Select[Any]:
    """Tracking's sessions shaped as `session_facts` rows (without the organization)."""
    dims = tracking_facts.session_dimensions(since).subquery("raw_sessions")
    return select(
        dims.c.session_id,
        dims.c.started_at,
        dims.c.visitor_id,
        func.hashtextextended(dims.c.visitor_id, 0).label("visitor_key"),
        *(dims.c[d] for d in DIMENSIONS),
        dims.c.page_views,
        dims.c.events,
        _seconds(dims.c.last_activity_at, dims.c.started_at).label("duration"),
        dims.c.converted,
        dims.c.is_new,
    )


def raw_sessions(since: datetime | None = None) -> Subquery:
    """Tracking's sessions since `since` with session_facts' columns (the newest minutes)."""
    return _session_facts_source(since).subquery("live_sessions")


async def _copy_sessions(
    bi: AsyncSession, organization_id: uuid.UUID, since: datetime | None
) -> None:
    """Upsert tracking's sessions started since `since` (all when None) into
    `session_facts`; rows already equal are left alone (no new row versions)."""
    source = _session_facts_source(since).subquery("sessions")
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
    await bi.execute(text(f"DROP TABLE {staged.name}"))
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


async def write_levels(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    rollup: Rollup,
    window: Window,
    rows: Select[Any],
) -> None:
    """Replace the window's days of every level of `rollup`: `rows` (with the complete
    level's dimensions) into the complete level, each other level summed from it."""
    for level in rollup.levels:
        await bi.execute(delete(level).where(window.rows(level.day)))
    complete = rollup.complete
    source = rows.subquery("rows")
    columns = rollup.columns(complete)
    # Aggregated into a temporary table first: PostgreSQL runs `CREATE TABLE … AS SELECT`
    # with parallel workers, `INSERT … SELECT` never (figures in bench/README.md).
    staged = await stage(bi, f"staged_{complete.__tablename__}", select(*source.c))
    await bi.execute(
        insert(complete).from_select(
            ["organization_id", *columns],
            select(literal(organization_id), *(staged.c[c] for c in columns)),
        )
    )
    table = staged
    for level in rollup.levels[:-1]:
        keys = [table.c[c] for c in ["day", *rollup.dimensions(level), *rollup.keys]]
        summed = select(
            literal(organization_id), *keys, *(func.sum(table.c[m]) for m in rollup.measures)
        ).group_by(*keys)
        await bi.execute(
            insert(level).from_select(["organization_id", *rollup.columns(level)], summed)
        )
    await bi.execute(text(f"DROP TABLE {staged.name}"))


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


async def _write_all(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    window: Window,
    clock: Clock,
    *,
    events_window: Window | None = None,
) -> None:
    """Every rollup's days of `window` (the event and path rollups' of `events_window`
    when given), from `session_facts` as just written."""
    # Imported here: those modules build on this one's helpers at import time.
    from rastro.analytics.service import behavior, event_summary, visitor_sets

    await visitor_sets.write_sets(bi, organization_id, window)
    clock.lap("visitor sets")
    sessions = SessionFact.__table__
    for rollup, rows, step, days in (
        (CONVERSIONS, conversion_rows, "conversions", window),
        (EVENTS, event_summary.rows, "events", events_window or window),
        (PATHS, behavior.path_rows_of, "paths", events_window or window),
    ):
        dimensions = rollup.dimensions(rollup.complete)
        await write_levels(bi, organization_id, rollup, days, rows(sessions, days, dimensions))
        clock.lap(step)


@dataclass(frozen=True)
class RefreshResult:
    through: datetime
    full: bool
    days_rewritten: int | None  # None: every day (a full refresh)


async def refresh(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    *,
    timezone: str,
    full: bool = False,
    steps: dict[str, float] | None = None,
) -> RefreshResult:
    """Bring the organization's rollups up to now, in the days of `timezone` (everything
    when `full`, never refreshed, or built for another timezone; `steps` gets the seconds
    of each step). Concurrent refreshes of one organization wait for each other."""
    clock = Clock(steps)
    lock = func.hashtextextended(str(organization_id), 7)
    await bi.execute(select(func.pg_advisory_xact_lock(lock)))
    await bi.execute(text(f"SET LOCAL work_mem = '{REFRESH_WORK_MEM}'"))
    through = datetime.now(UTC)
    state = await bi.get(RollupState, organization_id, with_for_update=True)
    since: datetime | None = None
    if full or state is None or state.timezone != timezone:
        clock.lap("lock and state")
        await _copy_sessions(bi, organization_id, None)
        clock.lap("session_facts copy")
        held_from = await _held_from(bi, timezone)
        events_window = Window(timezone, before=through, from_day=held_from) if held_from else None
        window = Window(timezone, before=through)
        await _write_all(bi, organization_id, window, clock, events_window=events_window)
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


async def has_rollups(bi: AsyncSession) -> bool:
    """Whether the organization's rollups were ever refreshed."""
    return await bi.scalar(select(RollupState.through)) is not None


async def rollup_through(bi: AsyncSession, timezone: str) -> datetime | None:
    """The moment before which the rollups hold every row, grouped in the days of
    `timezone` (None: never refreshed, or built for another timezone: read the raw rows)."""
    state = (await bi.execute(select(RollupState.through, RollupState.timezone))).first()
    if state is None or state.timezone != timezone:
        return None
    through: datetime = state.through
    return through


async def covered_through(
    bi: AsyncSession, organization_ids: Iterable[uuid.UUID]
) -> datetime | None:
    """The moment before which the rollups of every one of the organizations hold every
    row (the earliest of their watermarks); None when one was never refreshed or awaits a
    full rebuild (its rollups are not complete). The session needs the system scope."""
    wanted = set(organization_ids)
    if not wanted:
        return None
    states = (
        await bi.execute(
            select(RollupState.organization_id, RollupState.through, RollupState.timezone).where(
                RollupState.organization_id.in_(wanted)
            )
        )
    ).all()
    if len(states) < len(wanted) or any(state.timezone is None for state in states):
        return None
    earliest: datetime = min(state.through for state in states)
    return earliest


LiveRows = Callable[[FromClause, Window, tuple[str, ...]], Select[Any]]


def read(
    rollup: Rollup,
    period: Period,
    through: datetime | None,
    timezone: str,
    dimensions: Iterable[str],
    live: LiveRows,
) -> Subquery:
    """Rows of `period` at the smallest level with `dimensions`: the stored days, holding
    the moments before `through`, and `live`'s aggregate (sessions, window, dimensions)
    of the raw rows of [max(start, through), end). When no level has the dimensions,
    `live` aggregates the whole period, its sessions from `session_facts` and tracking."""
    level = rollup.level_for(dimensions)
    start, end = period.start, period.end
    split = min(max(through if through is not None else start, start), end)
    if level is None:
        sessions = visitor_keys(start - rollup.session_lead, end, through, extra=SESSION_COLUMNS)
        window = Window(timezone, after=start, before=end)
        return live(sessions, window, DIMENSIONS).subquery("rollup")
    names = rollup.columns(level)
    stored = select(*(getattr(level, c) for c in names)).where(
        level.day >= period.date_from, level.day <= period.date_to
    )
    if split >= end:
        return stored.subquery("rollup")
    window = Window(timezone, after=split, before=end)
    fresh = live(raw_sessions(split - rollup.session_lead), window, rollup.dimensions(level))
    fresh_rows = fresh.subquery("fresh")
    shaped = select(*(fresh_rows.c[c] for c in names))
    if split <= start:
        return shaped.subquery("rollup")
    return union_all(stored, shaped).subquery("rollup")


def summary_rows(
    period: Period, through: datetime | None, timezone: str, dimensions: Iterable[str] = ()
) -> Subquery:
    """Conversion rows (day, dimensions, currency, measures) of `period` at the smallest
    level with `dimensions`, the newest minutes aggregated from the raw rows."""

    return read(CONVERSIONS, period, through, timezone, dimensions, conversion_rows)


def visitor_keys(
    start: datetime, end: datetime, through: datetime | None, *, extra: tuple[str, ...] = ()
) -> Subquery:
    """Sessions (visitor_key and dimensions, and the `extra` session_facts columns) started
    in [start, end): from session_facts before `through`, from the raw sessions after."""
    columns = ["started_at", "visitor_key", "is_new", *DIMENSIONS, *extra]
    split = min(max(through if through is not None else start, start), end)
    stored = select(*(getattr(SessionFact, c) for c in columns)).where(
        SessionFact.started_at >= start, SessionFact.started_at < split
    )
    if split >= end:
        return stored.subquery("visits")
    raw = raw_sessions(split)
    live = select(*(raw.c[c] for c in columns)).where(raw.c.started_at < end)
    if split <= start:
        return live.subquery("visits")
    return union_all(stored, live).subquery("visits")


__all__ = [
    "CONVERSIONS",
    "DIMENSIONS",
    "EVENTS",
    "MEASURES",
    "PATHS",
    "RefreshResult",
    "Rollup",
    "Window",
    "conversion_rows",
    "has_rollups",
    "read",
    "refresh",
    "rollup_through",
    "summary_rows",
    "visitor_keys",
]
