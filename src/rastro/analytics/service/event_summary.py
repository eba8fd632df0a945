"""`event_type_summary`: interaction events by type per hour of their session's start and
the session's dimensions, maintained with the other rollups, and the same aggregate over
the raw rows for the hours the rollup has not reached.

Events are counted in their session's start hour (as `daily_conversions_summary` counts a
session's page views and events), so "sessions with a `form_start`" adds up exactly over
any range of hours, and a refresh that re-aggregates the hours whose sessions may still
grow (`rollups.LATE_SESSIONS`) sees every event of those sessions.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import FromClause, Subquery

from rastro.analytics.models import EventTypeSummary, SessionFact
from rastro.analytics.service import rollups
from rastro.tracking.service import facts as tracking_facts

MEASURES = ("events", "sessions_with_event")
COLUMNS = ("hour", *rollups.DIMENSIONS, "event_type", *MEASURES)


def aggregate(sessions: FromClause, since: datetime | None, until: datetime | None) -> Select[Any]:
    """Rows (hour, dimensions, event_type, events, sessions_with_event) for the sessions of
    `sessions` (session_facts' columns) started in [since, until) (open when None)."""
    events = tracking_facts.event_types(since).subquery("typed_events")
    hour = rollups.utc_hour(sessions.c.started_at).label("hour")
    keys = [hour, *(sessions.c[d] for d in rollups.DIMENSIONS), events.c.event_type]
    query = (
        select(
            *keys,
            func.count().label("events"),
            func.count(func.distinct(events.c.session_id)).label("sessions_with_event"),
        )
        .select_from(sessions)
        .join(events, events.c.session_id == sessions.c.session_id)
        .group_by(*keys)
    )
    if since is not None:
        query = query.where(sessions.c.started_at >= since)
    if until is not None:
        query = query.where(sessions.c.started_at < until)
    return query


async def write_hours(bi: AsyncSession, organization_id: uuid.UUID, since: datetime | None) -> None:
    """Re-aggregate the hours from `since` (every hour when None) from `session_facts`."""
    summary = EventTypeSummary
    doomed = summary.hour >= since if since is not None else literal(True)
    await bi.execute(delete(summary).where(doomed))
    rows = aggregate(SessionFact.__table__, since, None).subquery("rows")
    await bi.execute(
        insert(summary).from_select(
            ["organization_id", *COLUMNS],
            select(literal(organization_id), *(rows.c[c] for c in COLUMNS)),
        )
    )


def event_rows(start: datetime, end: datetime, through: datetime | None) -> Subquery:
    """Rows for sessions started in [start, end): complete hours from the rollup, the rest
    aggregated from the raw sessions and events."""
    summary = EventTypeSummary
    split = min(max(through if through is not None else start, start), end)
    stored = select(*(getattr(summary, c) for c in COLUMNS)).where(
        summary.hour >= start, summary.hour < split
    )
    if split >= end:
        return stored.subquery("event_summary")
    live = aggregate(rollups.raw_sessions(split), split, end)
    if split <= start:
        return live.subquery("event_summary")
    return stored.union_all(live).subquery("event_summary")
