"""Reading the BI event tables: live sessions, the session history, a session's timeline,
a visitor's journey."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import NotFound, UnprocessableEntity
from rastro.core.pagination import PageParams, paginate
from rastro.tracking.channels import DIRECT
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


MAX_HISTORY_DAYS = 400


def utc(value: datetime) -> datetime:
    """A naive time read as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SessionFilters:
    """What the session history is narrowed by (each None: any)."""

    started_from: datetime
    started_to: datetime
    domain_id: uuid.UUID | None = None
    landing_page_id: uuid.UUID | None = None
    channel: str | None = None
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    device: str | None = None
    converted: bool | None = None
    include_bots: bool = False

    def check(self) -> None:
        if self.started_to <= self.started_from:
            raise UnprocessableEntity("started_to must be after started_from.")
        if self.started_to - self.started_from > timedelta(days=MAX_HISTORY_DAYS):
            raise UnprocessableEntity(f"A range of at most {MAX_HISTORY_DAYS} days.")


async def list_sessions(
    session: AsyncSession, params: PageParams, *, filters: SessionFilters
) -> tuple[Sequence[Any], int]:
    """Sessions started in the range, newest first, each with its touch's campaign
    parameters and device (the touch written with the session at its start); bots only
    when asked. Two queries: the count and the page."""
    filters.check()
    touch = UtmTracking
    channel = func.coalesce(touch.channel, TrackedSession.channel, literal(DIRECT))
    conditions = [
        TrackedSession.started_at >= filters.started_from,
        TrackedSession.started_at < filters.started_to,
    ]
    if not filters.include_bots:
        conditions.append(TrackedSession.is_bot.is_(False))
    if filters.converted is not None:
        conditions.append(TrackedSession.converted.is_(filters.converted))
    if filters.domain_id is not None:
        conditions.append(TrackedSession.domain_id == filters.domain_id)
    if filters.landing_page_id is not None:
        conditions.append(TrackedSession.first_page_id == filters.landing_page_id)
    if filters.channel is not None:
        conditions.append(channel == filters.channel)
    for column, value in (
        (touch.utm_source, filters.source),
        (touch.utm_medium, filters.medium),
        (touch.utm_campaign, filters.campaign),
        (touch.device, filters.device),
    ):
        if value is not None:
            conditions.append(column == value)
    joined = (
        select(TrackedSession)
        .outerjoin(
            touch,
            and_(
                touch.session_id == TrackedSession.session_id,
                touch.created_at == TrackedSession.started_at,
            ),
        )
        .where(*conditions)
    )
    total = await session.scalar(joined.with_only_columns(func.count(TrackedSession.session_id)))
    rows = await session.execute(
        joined.with_only_columns(
            TrackedSession,
            channel.label("channel"),
            touch.utm_source.label("source"),
            touch.utm_medium.label("medium"),
            touch.utm_campaign.label("campaign"),
            touch.utm_content.label("content"),
            touch.device.label("device"),
        )
        .order_by(TrackedSession.started_at.desc(), TrackedSession.session_id.desc())
        .limit(params.page_size)
        .offset(params.offset)
    )
    return rows.all(), int(total or 0)


async def campaign_sessions(
    session: AsyncSession, *, domain_id: uuid.UUID, started_from: datetime, limit: int
) -> list[tuple[str, str]]:
    """Recent human sessions of the domain whose touch named a campaign, newest first:
    (the tracker's session id, visitor id)."""
    filters = SessionFilters(
        started_from=started_from, started_to=datetime.now(UTC), domain_id=domain_id
    )
    rows, _ = await list_sessions(session, PageParams(page=1, page_size=limit), filters=filters)
    return [
        (row[0].client_session_id or row[0].session_id, row[0].visitor_id)
        for row in rows
        if row.campaign and row[0].visitor_id
    ]


RECENT = timedelta(days=30)


@dataclass(frozen=True)
class DomainActivity:
    domain_id: uuid.UUID
    last_event_at: datetime | None
    sessions_today: int


async def domain_activity(
    session: AsyncSession, *, today_start: datetime, now: datetime | None = None
) -> list[DomainActivity]:
    """Per domain with sessions: the time of its latest event (a session's last activity)
    and how many human sessions started since `today_start`. Sessions of the last 30 days
    are read; a domain quiet for longer gets its latest session's start."""
    since = (now or datetime.now(UTC)) - RECENT
    recent = await session.execute(
        select(
            TrackedSession.domain_id,
            func.max(TrackedSession.last_activity_at),
            func.count().filter(
                TrackedSession.started_at >= today_start, TrackedSession.is_bot.is_(False)
            ),
        )
        .where(TrackedSession.started_at >= since)
        .group_by(TrackedSession.domain_id)
    )
    found = {row[0]: DomainActivity(row[0], row[1], int(row[2])) for row in recent}
    older = await session.execute(
        select(TrackedSession.domain_id, func.max(TrackedSession.last_activity_at))
        .where(TrackedSession.started_at < since)
        .group_by(TrackedSession.domain_id)
    )
    for domain_id, last in older:
        found.setdefault(domain_id, DomainActivity(domain_id, last, 0))
    return list(found.values())


@dataclass(frozen=True)
class LandingActivity:
    landing_page_id: uuid.UUID
    sessions: int
    converted: int


async def landing_page_activity(session: AsyncSession, *, since: datetime) -> list[LandingActivity]:
    """Per registered landing page: the human sessions that began on it since `since` and
    how many of them converted (left a lead)."""
    rows = await session.execute(
        select(
            TrackedSession.first_page_id,
            func.count(),
            func.count().filter(TrackedSession.converted.is_(True)),
        )
        .where(
            TrackedSession.started_at >= since,
            TrackedSession.first_page_id.is_not(None),
            TrackedSession.is_bot.is_(False),
        )
        .group_by(TrackedSession.first_page_id)
    )
    return [LandingActivity(row[0], int(row[1]), int(row[2])) for row in rows if row[0]]


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
