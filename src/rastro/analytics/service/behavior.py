"""Visitor behaviour (seed 000 `visitor_behavior_summary`): pages and events per session,
events by type and the most common page paths (by views, entries and exits).

Page paths come from `page_path_summary`, an hourly rollup beside
`daily_conversions_summary`, refreshed with it (`refresh_hours`, called from
`rollups.refresh`) and read like it: complete hours from the table, the newest minutes
aggregated from the raw page views (`path_rows`); a page view counts in the hour it
happened, with its session's dimensions. Events by type come from `event_type_summary`
(`event_summary`: counted in their session's start hour, like the summary's events).
Bots' sessions are left out (they are not in `session_facts`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Select, cast, delete, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause, Subquery

from rastro.analytics import schemas
from rastro.analytics.models import PagePathSummary, SessionFact
from rastro.analytics.service import event_summary, rollups
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service.overview import Scope, ratio, report_range
from rastro.tracking.service import facts as tracking_facts

DIMENSIONS = rollups.DIMENSIONS
# Page views and events are read by their own time; these bound "every hour".
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
TOP_PATHS = 20


def page_path(url: Any) -> ColumnElement[str]:
    """The path of a page URL: no scheme and host, no query or fragment; '/' when empty."""
    bare = func.regexp_replace(url, r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*|[?#].*$", "", "g")
    return func.coalesce(func.nullif(bare, ""), "/")


def _path_aggregate(sessions: FromClause, since: datetime, until: datetime) -> Select[Any]:
    """(hour, dimensions, page_path, views, entries, exits) of the page views in
    [since, until) of `sessions` (session_facts-shaped): an entry is a session's first
    view, an exit its last one."""
    views = tracking_facts.page_view_paths(since, until).subquery("views")
    hour = rollups.utc_hour(views.c.created_at).label("hour")
    path = page_path(views.c.page_url).label("page_path")
    keys = [hour, *(sessions.c[d] for d in DIMENSIONS), path]
    return (
        select(
            *keys,
            func.count().label("views"),
            func.sum(cast(views.c.view_order == 1, Integer)).label("entries"),
            func.sum(cast(views.c.view_order == sessions.c.page_views, Integer)).label("exits"),
        )
        .join_from(views, sessions, sessions.c.session_id == views.c.session_id)
        .group_by(*keys)
    )


async def refresh_hours(
    bi: AsyncSession, organization_id: uuid.UUID, since: datetime | None
) -> None:
    """Rewrite `page_path_summary` from the hour of `since` on (every hour when None),
    from `session_facts` as the refresh has just written them."""
    start = since or EPOCH
    table = PagePathSummary
    await bi.execute(delete(table).where(table.hour >= start))
    source = _path_aggregate(SessionFact.__table__, start, FAR_FUTURE).subquery("rows")
    columns = [c.name for c in source.c]
    await bi.execute(
        insert(table).from_select(
            ["organization_id", *columns], select(literal(organization_id), *source.c)
        )
    )


def _split(scope: Scope) -> datetime:
    start, end = scope.period.start, scope.period.end
    return min(max(scope.through if scope.through is not None else start, start), end)


def _rows(scope: Scope, table: Any, live: Any, columns: tuple[str, ...]) -> Subquery:
    """The table's rows for the period's complete hours and the raw aggregate after them."""
    start, end = scope.period.start, scope.period.end
    split = _split(scope)
    names = ["hour", *DIMENSIONS, *columns]
    stored = select(*(getattr(table, c) for c in names)).where(
        table.hour >= start, table.hour < split
    )
    if split >= end:
        return stored.subquery("behavior")
    # Sessions that started up to LATE_SESSIONS before the split still get page views.
    sessions = rollups.raw_sessions(split - rollups.LATE_SESSIONS)
    fresh = live(sessions, split, end).subquery("fresh")
    fresh_rows = select(*(fresh.c[c] for c in names))
    if split <= start:
        return fresh_rows.subquery("behavior")
    return union_all(stored, fresh_rows).subquery("behavior")


def path_rows(scope: Scope) -> Subquery:
    """`page_path_summary` rows of the scope's period (stored hours + the newest minutes)."""
    columns = ("page_path", "views", "entries", "exits")
    return _rows(scope, PagePathSummary, _path_aggregate, columns)


def event_rows(scope: Scope) -> Subquery:
    """`event_type_summary` rows of the sessions started in the scope's period."""
    return event_summary.event_rows(scope.period.start, scope.period.end, scope.through)


async def _top_paths(bi: AsyncSession, scope: Scope, order: str, limit: int) -> list[Any]:
    rows = path_rows(scope)
    sums = [func.sum(rows.c[m]).label(m) for m in ("views", "entries", "exits")]
    query = (
        select(rows.c.page_path, *sums)
        .where(*report_filters.conditions(rows, scope.filters))
        .group_by(rows.c.page_path)
        .having(func.sum(rows.c[order]) > 0)
        .order_by(func.sum(rows.c[order]).desc(), rows.c.page_path)
        .limit(limit)
    )
    return list(await bi.execute(query))


def _path(row: Any) -> schemas.PathRow:
    return schemas.PathRow(
        path=row.page_path,
        views=row.views,
        entries=row.entries,
        exits=row.exits,
        exit_rate=ratio(row.exits, row.views),
    )


async def behavior(bi: AsyncSession, scope: Scope, *, limit: int = TOP_PATHS) -> schemas.Behavior:
    """Pages and events per session, events by type and the top `limit` paths by views,
    entries and exits, in the scope's period and filters."""
    summary = scope.summary()
    totals = (
        await bi.execute(
            select(
                *(
                    func.coalesce(func.sum(summary.c[m]), 0).label(m)
                    for m in ("sessions", "page_views", "events", "bounces", "duration")
                )
            ).where(*report_filters.conditions(summary, scope.filters))
        )
    ).one()
    events = event_rows(scope)
    by_type = await bi.execute(
        select(events.c.event_type, func.sum(events.c.events).label("events"))
        .where(*report_filters.conditions(events, scope.filters))
        .group_by(events.c.event_type)
        .order_by(func.sum(events.c.events).desc(), events.c.event_type)
    )
    return schemas.Behavior(
        range=report_range(scope),
        sessions=totals.sessions,
        page_views=totals.page_views,
        events=totals.events,
        pages_per_session=ratio(totals.page_views, totals.sessions),
        events_per_session=ratio(totals.events, totals.sessions),
        bounce_rate=ratio(totals.bounces, totals.sessions),
        average_duration=ratio(totals.duration, totals.sessions),
        events_by_type=[
            schemas.EventTypeRow(
                event_type=row.event_type,
                events=row.events,
                per_session=ratio(row.events, totals.sessions),
            )
            for row in by_type
        ],
        top_paths=[_path(r) for r in await _top_paths(bi, scope, "views", limit)],
        top_entry_paths=[_path(r) for r in await _top_paths(bi, scope, "entries", limit)],
        top_exit_paths=[_path(r) for r in await _top_paths(bi, scope, "exits", limit)],
    )
