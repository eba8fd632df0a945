"""Visitor behaviour (seed 000 `visitor_behavior_summary`): pages and events per session,
events by type and the most common page paths (by views, entries and exits).

Page paths come from the path rollup (`rollups.PATHS`: `page_path_by_channel` and
`page_path_by_site`), per local day, refreshed with the conversion rollup (`path_rows_of`,
called from `rollup_refresh.refresh`, with their month levels) and read like it: the whole months
and the edge days stored, the newest minutes aggregated from the raw page views
(`path_rows`); a page view counts in the day it
happened, with its session's dimensions. A filter on a dimension those levels lack
(landing page, campaign, content, term) aggregates the period's raw page views. Events
by type come from the event rollup (`event_summary`: counted in their session's start
day, like the conversion rollup's events). Bots' sessions are left out (they are not in
`session_facts`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Select, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import FromClause, Subquery

from rastro.analytics import schemas
from rastro.analytics.service import event_summary, rollups
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service.overview import Scope, ratio, report_range
from rastro.analytics.service.rollups import Window
from rastro.tracking.service import facts as tracking_facts

# Page views are read by their own time; these bound "every day".
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
TOP_PATHS = 20


def path_rows_of(
    sessions: FromClause, window: Window, dimensions: tuple[str, ...] = rollups.DIMENSIONS
) -> Select[Any]:
    """(day, `dimensions`, page_path, views, entries, exits) of the page views in `window`
    of `sessions` (session_facts-shaped): an entry is a session's first view, an exit its
    last one."""
    views = tracking_facts.page_view_paths(
        window.bound or EPOCH, window.before or FAR_FUTURE
    ).subquery("views")
    day = rollups.local_day(views.c.created_at, window.timezone).label("day")
    path = views.c.page_path
    keys = [day, *(sessions.c[d] for d in dimensions), path]
    return (
        select(
            *keys,
            func.count().label("views"),
            func.sum(cast(views.c.view_order == 1, Integer)).label("entries"),
            func.sum(cast(views.c.view_order == sessions.c.page_views, Integer)).label("exits"),
        )
        .join_from(views, sessions, sessions.c.session_id == views.c.session_id)
        .where(*window.moments(views.c.created_at))
        .group_by(*keys)
    )


def path_rows(scope: Scope) -> Subquery:
    """Page path rows of the scope's period (whole months from the month levels, the edge
    days from the day levels, the newest minutes from the raw rows; no `day` column), at
    the smallest level with the filtered dimensions."""

    return rollups.read(
        rollups.PATHS,
        scope.period,
        scope.through,
        scope.timezone,
        scope.filtered_dimensions,
        path_rows_of,
        days=False,
    )


def event_rows(scope: Scope) -> Subquery:
    """Event rollup rows of the sessions started in the scope's period."""
    return event_summary.event_rows(scope)


async def _path_sums(bi: AsyncSession, scope: Scope) -> list[Any]:
    """Every path's views, entries and exits in the period (one pass over the rollup)."""
    rows = path_rows(scope)
    sums = [func.sum(rows.c[m]).label(m) for m in ("views", "entries", "exits")]
    query = (
        select(rows.c.page_path, *sums)
        .where(*report_filters.conditions(rows, scope.filters))
        .group_by(rows.c.page_path)
    )
    return list(await bi.execute(query))


def _top(paths: list[Any], order: str, limit: int) -> list[Any]:
    """The `limit` paths with most `order` (ties by path), none with zero."""
    ranked = sorted((p for p in paths if getattr(p, order) > 0), key=lambda p: p.page_path)
    ranked.sort(key=lambda p: getattr(p, order), reverse=True)
    return ranked[:limit]


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
    paths = await _path_sums(bi, scope)
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
        top_paths=[_path(r) for r in _top(paths, "views", limit)],
        top_entry_paths=[_path(r) for r in _top(paths, "entries", limit)],
        top_exit_paths=[_path(r) for r in _top(paths, "exits", limit)],
    )
