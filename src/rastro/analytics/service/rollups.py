"""The hourly rollups, maintained incrementally, and the same aggregate over the raw rows
for the hours they have not reached yet.

`refresh` (every 5 minutes from the worker, or on demand) brings one organization's
rollups up to the current UTC hour: it copies the sessions started since `LATE_SESSIONS`
before the last refresh into `session_facts` (a session keeps growing while it is active),
then re-aggregates those hours and every hour whose lead outcomes changed since the last
refresh. `summary_rows` gives the reports the rollup's rows for the complete hours and the
raw aggregate for the rest, so the newest minutes are always counted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    cast,
    delete,
    extract,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause, Subquery

from rastro.analytics.models import ConversionFact, ConversionSummary, RollupState, SessionFact
from rastro.tracking.service import facts as tracking_facts

# A session is still written to this long after it started (30 idle minutes end a visit;
# a long one, or a late batch, rarely goes past a few hours).
LATE_SESSIONS = timedelta(hours=6)
# Lead outcomes written this long before a refresh began may commit after it read them.
LATE_OUTCOMES = timedelta(minutes=10)

DIMENSIONS = (
    "domain_id",
    "landing_page_id",
    "channel",
    "source",
    "medium",
    "campaign",
    "content",
    "term",
    "device",
)
MEASURES = (
    "sessions",
    "new_sessions",
    "bounces",
    "page_views",
    "events",
    "duration",
    "converted_sessions",
    "leads",
    "score_points",
    "conversion_seconds",
    "conversion_timed",
    "qualified",
    "won",
    "revenue",
    "sales_cycle_seconds",
)


def utc_hour(column: Any) -> ColumnElement[datetime]:
    """The UTC hour a timestamp falls in (whatever the connection's time zone)."""
    return func.date_trunc("hour", column, "UTC")


@dataclass(frozen=True)
class HourFilter:
    """Which hours an aggregate covers: a range [start, end) and some single hours."""

    start: datetime | None = None
    end: datetime | None = None
    extra: tuple[datetime, ...] = ()

    def compare_hour(self, hour: Any) -> ColumnElement[bool]:
        in_range: list[ColumnElement[bool]] = []
        if self.start is not None:
            in_range.append(hour >= self.start)
        if self.end is not None:
            in_range.append(hour < self.end)
        covered = and_(*in_range) if in_range else literal(True)
        if self.extra:
            return or_(covered, hour.in_(self.extra))
        return covered


ALL_HOURS = HourFilter()


def _zero(*, except_: dict[str, Any]) -> list[ColumnElement[Any]]:
    return [(except_[m] if m in except_ else literal(0)).label(m) for m in MEASURES]


def _session_part(source: FromClause, when: ColumnElement[bool]) -> Select[Any]:
    c = source.c
    return select(
        utc_hour(c.started_at).label("hour"),
        *(c[d] for d in DIMENSIONS),
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
    ).where(when)


def _fact_part(moment: Any, measures: dict[str, Any], when: ColumnElement[bool]) -> Select[Any]:
    f = ConversionFact
    currency = f.currency if "won" in measures else cast(null(), String(3))
    return select(
        utc_hour(moment).label("hour"),
        *(getattr(f, d) for d in DIMENSIONS),
        currency.label("currency"),
        *_zero(except_=measures),
    ).where(when)


def _seconds(later: Any, earlier: Any) -> ColumnElement[int]:
    return cast(func.round(extract("epoch", later - earlier)), Integer)


def aggregate(
    sessions: FromClause, hours: HourFilter, *, since: datetime | None = None
) -> Select[Any]:
    """Rollup rows (hour, dimensions, currency, measures) aggregated from `sessions` (a
    table or subquery with session_facts' columns) and `conversion_facts`, for the hours
    `hours` covers (`since`, when given, lets PostgreSQL skip older rows by index)."""
    f = ConversionFact

    def when(moment: Any) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = [moment.is_not(None)]
        if since is not None:
            conditions.append(moment >= since)
        if hours != ALL_HOURS:
            conditions.append(hours.compare_hour(utc_hour(moment)))
        return and_(*conditions)

    parts = union_all(
        _session_part(sessions, when(sessions.c.started_at)),
        _fact_part(
            f.created_at,
            {
                "leads": literal(1),
                "score_points": f.score_points,
                "conversion_seconds": func.coalesce(f.time_to_conversion, 0),
                "conversion_timed": cast(f.time_to_conversion.is_not(None), Integer),
            },
            when(f.created_at),
        ),
        _fact_part(f.qualified_at, {"qualified": literal(1)}, when(f.qualified_at)),
        _fact_part(
            f.won_at,
            {
                "won": literal(1),
                "revenue": func.coalesce(f.revenue, 0),
                "sales_cycle_seconds": _seconds(f.won_at, f.created_at),
            },
            when(f.won_at),
        ),
    ).subquery("parts")
    keys = [parts.c.hour, *(parts.c[d] for d in DIMENSIONS), parts.c.currency]
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
    source = _session_facts_source(since).subquery("sessions")
    columns = [c.name for c in source.c]
    statement = insert(SessionFact).from_select(
        ["organization_id", *columns], select(literal(organization_id), *source.c)
    )
    updated = {c: statement.excluded[c] for c in columns if c != "session_id"}
    await bi.execute(statement.on_conflict_do_update(index_elements=["session_id"], set_=updated))


async def _changed_hours(bi: AsyncSession, since: datetime, before: datetime) -> list[datetime]:
    """The hours before `before` holding a lead outcome written since `since`."""
    f = ConversionFact
    moments = union_all(
        *(
            select(utc_hour(moment).label("hour")).where(
                f.updated_at >= since, moment.is_not(None), moment < before
            )
            for moment in (f.created_at, f.qualified_at, f.won_at)
        )
    ).subquery()
    return list(await bi.scalars(select(moments.c.hour).distinct()))


async def _write_hours(bi: AsyncSession, organization_id: uuid.UUID, hours: HourFilter) -> None:
    summary = ConversionSummary
    doomed = hours.compare_hour(summary.hour) if hours != ALL_HOURS else literal(True)
    await bi.execute(delete(summary).where(doomed))
    rows = aggregate(SessionFact.__table__, hours).subquery("rows")
    columns = ["hour", *DIMENSIONS, "currency", *MEASURES]
    await bi.execute(
        insert(summary).from_select(
            ["organization_id", *columns],
            select(literal(organization_id), *(rows.c[c] for c in columns)),
        )
    )


@dataclass(frozen=True)
class RefreshResult:
    through: datetime
    full: bool
    hours_rewritten: int | None  # None: every hour (a full refresh)


async def refresh(
    bi: AsyncSession, organization_id: uuid.UUID, *, full: bool = False
) -> RefreshResult:
    """Bring the organization's rollups up to the current UTC hour (everything when `full`
    or never refreshed). Concurrent refreshes of one organization wait for each other."""
    lock = func.hashtextextended(str(organization_id), 7)
    await bi.execute(select(func.pg_advisory_xact_lock(lock)))
    started = datetime.now(UTC)
    through = started.replace(minute=0, second=0, microsecond=0)
    state = await bi.get(RollupState, organization_id, with_for_update=True)
    if full or state is None:
        await bi.execute(delete(SessionFact))
        await _copy_sessions(bi, organization_id, None)
        await _write_hours(bi, organization_id, ALL_HOURS)
        rewritten = None
    else:
        since = state.through - LATE_SESSIONS
        await _copy_sessions(bi, organization_id, since)
        extra = [
            h
            for h in await _changed_hours(bi, state.refreshed_at - LATE_OUTCOMES, since)
            if h < since
        ]
        await _write_hours(bi, organization_id, HourFilter(start=since, extra=tuple(extra)))
        rewritten = int((max(through, since) - since) / timedelta(hours=1)) + len(extra)
    values = {"organization_id": organization_id, "through": through, "refreshed_at": started}
    statement = insert(RollupState).values(values)
    await bi.execute(
        statement.on_conflict_do_update(
            index_elements=["organization_id"],
            set_={"through": through, "refreshed_at": started},
        )
    )
    return RefreshResult(through=through, full=rewritten is None, hours_rewritten=rewritten)


async def rollup_through(bi: AsyncSession) -> datetime | None:
    """The hour up to which the organization's rollups are complete (None: never run)."""
    return await bi.scalar(select(RollupState.through))


def summary_rows(start: datetime, end: datetime, through: datetime | None) -> Subquery:
    """Rollup rows for [start, end): complete hours from `daily_conversions_summary`, the
    rest aggregated from the raw sessions and outcomes (so "today" is never stale)."""
    columns = ["hour", *DIMENSIONS, "currency", *MEASURES]
    summary = ConversionSummary
    split = through if through is not None else start
    split = min(max(split, start), end)
    stored = select(*(getattr(summary, c) for c in columns)).where(
        summary.hour >= start, summary.hour < split
    )
    if split >= end:
        return stored.subquery("summary")
    live = aggregate(raw_sessions(split), HourFilter(start=split, end=end), since=split)
    if split <= start:
        return live.subquery("summary")
    return union_all(stored, live).subquery("summary")


def visitor_keys(start: datetime, end: datetime, through: datetime | None) -> Subquery:
    """Sessions (visitor_key and dimensions) started in [start, end): from session_facts
    for the complete hours, from the raw sessions after them."""
    columns = ["started_at", "visitor_key", "is_new", *DIMENSIONS]
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
    "DIMENSIONS",
    "MEASURES",
    "HourFilter",
    "RefreshResult",
    "aggregate",
    "refresh",
    "rollup_through",
    "summary_rows",
    "visitor_keys",
]
