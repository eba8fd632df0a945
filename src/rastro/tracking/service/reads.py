"""Reading the BI event tables: live sessions, a session's timeline, a visitor's journey."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import NotFound
from rastro.core.pagination import PageParams, paginate
from rastro.tracking.models import Event, PageView, TrackedSession, UtmTracking, VisitorJourney

LIVE_WINDOW = timedelta(minutes=30)


async def live_sessions(
    session: AsyncSession,
    params: PageParams,
    *,
    include_bots: bool = False,
    now: datetime | None = None,
) -> tuple[list[TrackedSession], int]:
    """Sessions with activity in the last 30 minutes, most recent first (bots excluded)."""
    since = (now or datetime.now(UTC)) - LIVE_WINDOW
    statement = (
        select(TrackedSession)
        .where(TrackedSession.last_activity_at >= since)
        .order_by(TrackedSession.last_activity_at.desc())
    )
    if not include_bots:
        statement = statement.where(TrackedSession.is_bot.is_(False))
    rows, total = await paginate(session, statement, params)
    return list(rows), total


REF_CODE = re.compile(r"^[A-Za-z0-9]{6}$")
REF_WINDOW = timedelta(days=90)


async def sessions_by_ref(
    session: AsyncSession, params: PageParams, code: str, *, now: datetime | None = None
) -> tuple[list[TrackedSession], int]:
    """The sessions a tracker reference code points to (the `[ref:XXXXXX]` the tracker adds
    to WhatsApp messages: the first 6 characters of the session id, upper-cased; compared
    without case, as `ref_code` is stored in lower case), started in the last 90 days, most
    recent first."""
    since = (now or datetime.now(UTC)) - REF_WINDOW
    statement = (
        select(TrackedSession)
        .where(
            TrackedSession.ref_code == code.lower(),
            TrackedSession.started_at >= since,
        )
        .order_by(TrackedSession.started_at.desc())
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def session_timeline(
    session: AsyncSession, session_id: str
) -> tuple[TrackedSession, list[UtmTracking], list[PageView], list[Event]]:
    tracked = await session.get(TrackedSession, session_id)
    if tracked is None:
        raise NotFound("Session not found.")
    # created_at bounds let PostgreSQL skip the partitions this session cannot be in.
    lower = tracked.started_at - timedelta(minutes=1)
    upper = tracked.last_activity_at + timedelta(days=1)
    touches = list(
        await session.scalars(
            select(UtmTracking)
            .where(
                UtmTracking.session_id == session_id, UtmTracking.created_at.between(lower, upper)
            )
            .order_by(UtmTracking.created_at)
        )
    )
    views = list(
        await session.scalars(
            select(PageView)
            .where(PageView.session_id == session_id, PageView.created_at.between(lower, upper))
            .order_by(PageView.view_order)
        )
    )
    events = list(
        await session.scalars(
            select(Event)
            .where(Event.session_id == session_id, Event.created_at.between(lower, upper))
            .order_by(Event.created_at)
        )
    )
    return tracked, touches, views, events


async def visitor_journey(
    session: AsyncSession, visitor_id: str
) -> tuple[list[VisitorJourney], list[TrackedSession], list[UtmTracking]]:
    """Every session and touch of a visitor, oldest first, across the organization's domains."""
    journeys = list(
        await session.scalars(select(VisitorJourney).where(VisitorJourney.visitor_id == visitor_id))
    )
    if not journeys:
        raise NotFound("Visitor not found.")
    sessions = list(
        await session.scalars(
            select(TrackedSession)
            .where(TrackedSession.visitor_id == visitor_id)
            .order_by(TrackedSession.started_at)
        )
    )
    touches = list(
        await session.scalars(
            select(UtmTracking)
            .where(UtmTracking.visitor_id == visitor_id)
            .order_by(UtmTracking.created_at)
        )
    )
    return journeys, sessions, touches


@dataclass
class SessionActivity:
    session: TrackedSession
    touches: list[UtmTracking] = field(default_factory=list)
    page_views: list[PageView] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


async def sessions_of_visitors(
    session: AsyncSession, visitor_ids: Sequence[str], *, limit: int = 500
) -> list[SessionActivity]:
    """Every session of these visitor ids (one person's browsers), oldest first, each with
    its touches, page views and events: four queries however many sessions."""
    if not visitor_ids:
        return []
    sessions = list(
        await session.scalars(
            select(TrackedSession)
            .where(TrackedSession.visitor_id.in_(list(visitor_ids)))
            .order_by(TrackedSession.started_at, TrackedSession.session_id)
            .limit(limit)
        )
    )
    if not sessions:
        return []
    found = {s.session_id: SessionActivity(s) for s in sessions}
    ids = list(found)
    # created_at bounds let PostgreSQL skip the partitions these sessions cannot be in.
    lower = min(s.started_at for s in sessions) - timedelta(minutes=1)
    upper = max(s.last_activity_at for s in sessions) + timedelta(days=1)
    for touch in await session.scalars(
        select(UtmTracking)
        .where(UtmTracking.session_id.in_(ids), UtmTracking.created_at.between(lower, upper))
        .order_by(UtmTracking.created_at)
    ):
        found[touch.session_id].touches.append(touch)
    for view in await session.scalars(
        select(PageView)
        .where(PageView.session_id.in_(ids), PageView.created_at.between(lower, upper))
        .order_by(PageView.session_id, PageView.view_order)
    ):
        found[view.session_id].page_views.append(view)
    for event in await session.scalars(
        select(Event)
        .where(Event.session_id.in_(ids), Event.created_at.between(lower, upper))
        .order_by(Event.created_at)
    ):
        found[event.session_id].events.append(event)
    return list(found.values())
