"""What other modules ask of the tracked traffic when a visit converts: the facts of the
converting session (for attribution and scoring) and marking it converted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.tracking.models import PageView, TrackedSession, UtmTracking, VisitorJourney

TOUCH_FIELDS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_id",
    "utm_term",
    "utm_content",
    "gclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "fbc",
    "fbp",
    "ttclid",
    "li_fat_id",
    "msclkid",
    "src",
    "sck",
    "xcod",
)


@dataclass(frozen=True)
class SessionFacts:
    session_id: str
    visitor_id: str
    domain_id: uuid.UUID
    started_at: datetime
    last_activity_at: datetime
    total_page_views: int
    total_events: int
    return_visits: int
    seconds_on_site: int
    first_visit_at: datetime  # the visitor's first visit on this domain
    first_touch: UtmTracking | None  # the visitor's first, across their sessions
    last_touch: UtmTracking | None  # the converting session's last


def touch_dict(touch: UtmTracking) -> dict[str, Any]:
    """A touch as a JSON-ready dict (for attribution snapshots)."""
    data: dict[str, Any] = {field: getattr(touch, field) for field in TOUCH_FIELDS}
    data = {key: value for key, value in data.items() if value is not None}
    data.update(
        tracking_id=str(touch.tracking_id),
        session_id=touch.session_id,
        at=touch.created_at.isoformat(),
        channel=touch.channel,
        device=touch.device,
        page_url=touch.page_url,
        referrer=touch.referrer,
    )
    return data


async def session_facts(session: AsyncSession, session_id: str) -> SessionFacts | None:
    """The converting session, its visitor's first touch and its own last touch; None if
    the session is unknown.

    Two queries: the session with its visitor's first visit and its time on page, then the
    visitor's touches on the domain.
    """
    on_page = (
        select(func.coalesce(func.sum(PageView.time_on_page), 0))
        .where(
            PageView.session_id == TrackedSession.session_id,
            PageView.created_at >= TrackedSession.started_at - timedelta(minutes=1),
        )
        .scalar_subquery()
    )
    first_visit = (
        select(VisitorJourney.first_visit_at)
        .where(
            VisitorJourney.domain_id == TrackedSession.domain_id,
            VisitorJourney.visitor_id == TrackedSession.visitor_id,
        )
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(TrackedSession, first_visit, on_page)
            .where(
                or_(
                    TrackedSession.session_id == session_id,
                    TrackedSession.client_session_id == session_id,
                )
            )
            .order_by(TrackedSession.started_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    tracked, first_visit_at, seconds_on_pages = row
    # All of the visitor's touches on the domain up to this session (a handful): the
    # first of them, and this session's last.
    touches = list(
        await session.scalars(
            select(UtmTracking)
            .where(
                UtmTracking.visitor_id == tracked.visitor_id,
                UtmTracking.domain_id == tracked.domain_id,
                UtmTracking.created_at <= tracked.last_activity_at + timedelta(days=1),
            )
            .order_by(UtmTracking.created_at)
            .limit(200)
        )
    )
    own = [touch for touch in touches if touch.session_id == tracked.session_id]
    elapsed = int((tracked.last_activity_at - tracked.started_at).total_seconds())
    return SessionFacts(
        session_id=tracked.session_id,
        visitor_id=tracked.visitor_id,
        domain_id=tracked.domain_id,
        started_at=tracked.started_at,
        last_activity_at=tracked.last_activity_at,
        total_page_views=tracked.total_page_views,
        total_events=tracked.total_events,
        return_visits=tracked.return_visits,
        seconds_on_site=max(elapsed, int(seconds_on_pages or 0)),
        first_visit_at=first_visit_at or tracked.started_at,
        first_touch=touches[0] if touches else None,
        last_touch=own[-1] if own else None,
    )


async def engaged_sessions(session: AsyncSession) -> list[TrackedSession]:
    """Human sessions that saw more than one page, oldest first (the demo's converters)."""
    return list(
        await session.scalars(
            select(TrackedSession)
            .where(TrackedSession.is_bot.is_(False), TrackedSession.total_page_views > 1)
            .order_by(TrackedSession.started_at)
        )
    )


async def mark_converted(session: AsyncSession, session_id: str) -> None:
    """The session and its visitor's journey converted (idempotent)."""
    tracked = await session.get(TrackedSession, session_id)
    if tracked is None:
        return
    await session.execute(
        update(TrackedSession)
        .where(TrackedSession.session_id == session_id, TrackedSession.converted.is_(False))
        .values(converted=True)
    )
    await session.execute(
        update(VisitorJourney)
        .where(
            VisitorJourney.domain_id == tracked.domain_id,
            VisitorJourney.visitor_id == tracked.visitor_id,
            VisitorJourney.converted.is_(False),
        )
        .values(converted=True, conversion_session_id=session_id)
    )


async def touchpoints(
    session: AsyncSession, visitor_ids: list[str], until: datetime
) -> list[UtmTracking]:
    """Every touch of these visitors (one person's browsers) up to `until`, oldest first."""
    if not visitor_ids:
        return []
    return list(
        await session.scalars(
            select(UtmTracking)
            .where(UtmTracking.visitor_id.in_(visitor_ids), UtmTracking.created_at <= until)
            .order_by(UtmTracking.created_at)
            .limit(500)
        )
    )
