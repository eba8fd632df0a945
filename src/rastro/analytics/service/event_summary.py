"""Events by type (`rollups.EVENTS`: `event_type_by_page` and `event_type_by_channel`) per
local day of their session's start and the session's dimensions, maintained with the other
rollups, and the same aggregate over the raw rows for the moments they have not reached.

Events are counted in their session's start day (as the conversion rollup counts a
session's page views and events), so "sessions with a `form_start`" adds up exactly over
any range of days, and a refresh that re-aggregates the days whose sessions may still
grow (`rollups.LATE_SESSIONS`) sees every event of those sessions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.sql import FromClause, Subquery

from rastro.analytics.service import rollups
from rastro.analytics.service.rollups import Window
from rastro.tracking.service import facts as tracking_facts

MEASURES = rollups.EVENTS.measures


def rows(
    sessions: FromClause, window: Window, dimensions: tuple[str, ...] = rollups.DIMENSIONS
) -> Select[Any]:
    """Rows (day, `dimensions`, event_type, events, sessions_with_event) of the sessions
    of `sessions` (session_facts' columns) started in `window`."""
    # Events come after their session's start: the window's bound holds for them too.
    events = tracking_facts.event_types(window.bound).subquery("typed_events")
    per_session = (
        select(events.c.session_id, events.c.event_type, func.count().label("events"))
        .group_by(events.c.session_id, events.c.event_type)
        .subquery("per_session")
    )
    day = rollups.local_day(sessions.c.started_at, window.timezone).label("day")
    keys = [day, *(sessions.c[d] for d in dimensions), per_session.c.event_type]
    return (
        select(
            *keys,
            func.sum(per_session.c.events).label("events"),
            func.count().label("sessions_with_event"),
        )
        .select_from(sessions)
        .join(per_session, per_session.c.session_id == sessions.c.session_id)
        .where(*window.moments(sessions.c.started_at))
        .group_by(*keys)
    )


def session_rows(
    sessions: FromClause, window: Window, dimensions: tuple[str, ...] = rollups.DIMENSIONS
) -> Select[Any]:
    """The rows of `rows`, joined before they are grouped: each session's events are found
    through the events' session index, so a report's filter on the sessions (one
    campaign's, pushed down into `sessions`) reads only their events, where `rows` groups
    every event of the window first (what a refresh, which reads them all, wants)."""
    events = tracking_facts.event_types(window.bound).subquery("typed_events")
    day = rollups.local_day(sessions.c.started_at, window.timezone).label("day")
    keys = [day, *(sessions.c[d] for d in dimensions), events.c.event_type]
    return (
        select(
            *keys,
            func.count().label("events"),
            func.count(func.distinct(sessions.c.session_id)).label("sessions_with_event"),
        )
        .select_from(sessions)
        .join(events, events.c.session_id == sessions.c.session_id)
        .where(*window.moments(sessions.c.started_at))
        .group_by(*keys)
    )


def event_rows(scope: Any, dimensions: Iterable[str] = ()) -> Subquery:
    """Events by type of the sessions started in the scope's period (a `Scope`), at the
    smallest level with `dimensions` and the filtered ones (the newest minutes, or the
    whole period when no level has them, from the raw rows: `session_rows`); no `day`
    column (whole months are read from the month levels)."""
    return rollups.read(
        rollups.EVENTS,
        scope.period,
        scope.through,
        scope.timezone,
        [*dimensions, *scope.filtered_dimensions],
        session_rows,
        days=False,
    )
