"""Seed 002's funnel visitors are tracked sessions: a session's funnel and current step,
set as the visitor moves through a funnel's public pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.tracking.models import TrackedSession, UtmTracking
from rastro.tracking.service.facts import LONGEST_LIVE_SESSION
from rastro.tracking.service.reads import LIVE_WINDOW


async def set_session_step(
    session: AsyncSession, *, session_id: str, funnel_id: uuid.UUID, step_id: uuid.UUID
) -> bool:
    """Put the organization's session (by the tracker's id or the server's) on a funnel's
    step; False when the organization has no such session yet (its first page view may
    still be on its way). Unchanged rows are not written again."""
    result = await session.execute(
        update(TrackedSession)
        .where(
            or_(
                TrackedSession.client_session_id == session_id,
                TrackedSession.session_id == session_id,
            ),
            or_(
                TrackedSession.funnel_id.is_distinct_from(funnel_id),
                TrackedSession.current_step_id.is_distinct_from(step_id),
            ),
        )
        .values(funnel_id=funnel_id, current_step_id=step_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class FunnelVisitor:
    """A session on a funnel, as the funnel's live monitor shows it."""

    session_id: str
    visitor_id: str
    funnel_id: uuid.UUID | None
    step_id: uuid.UUID | None
    started_at: datetime
    last_activity_at: datetime
    channel: str | None
    source: str | None
    medium: str | None
    campaign: str | None
    device: str | None


@dataclass(frozen=True)
class Placement:
    """A session placed on a funnel step, with where it was before."""

    visitor: FunnelVisitor
    previous_funnel_id: uuid.UUID | None
    previous_step_id: uuid.UUID | None

    @property
    def moved(self) -> bool:
        return self.previous_step_id != self.visitor.step_id


async def _touches(
    session: AsyncSession, rows: list[TrackedSession]
) -> dict[str, tuple[str | None, str | None]]:
    """The sessions' landing campaign and device (their touch rows, by session id)."""
    if not rows:
        return {}
    since = min(row.started_at for row in rows) - timedelta(days=1)
    found = await session.execute(
        select(UtmTracking.session_id, UtmTracking.utm_campaign, UtmTracking.device).where(
            UtmTracking.session_id.in_([row.session_id for row in rows]),
            UtmTracking.created_at >= since,
        )
    )
    return {sid: (campaign, device) for sid, campaign, device in found}


def _visitor(row: TrackedSession, touch: tuple[str | None, str | None]) -> FunnelVisitor:
    metadata = row.metadata_ or {}
    return FunnelVisitor(
        session_id=row.session_id,
        visitor_id=row.visitor_id,
        funnel_id=row.funnel_id,
        step_id=row.current_step_id,
        started_at=row.started_at,
        last_activity_at=row.last_activity_at,
        channel=row.channel,
        source=metadata.get("source"),
        medium=metadata.get("medium"),
        campaign=touch[0],
        device=touch[1],
    )


async def place_session(
    session: AsyncSession, *, session_id: str, funnel_id: uuid.UUID, step_id: uuid.UUID
) -> Placement | None:
    """Put the organization's session (the server's id) on a funnel step and say where it
    was; None when there is no such session (or it is a bot's)."""
    row = await session.scalar(
        select(TrackedSession).where(TrackedSession.session_id == session_id).with_for_update()
    )
    if row is None or row.is_bot:
        return None
    previous = (row.funnel_id, row.current_step_id)
    if previous != (funnel_id, step_id):
        row.funnel_id, row.current_step_id = funnel_id, step_id
        await session.flush()
    touches = await _touches(session, [row])
    return Placement(
        _visitor(row, touches.get(row.session_id, (None, None))), previous[0], previous[1]
    )


async def funnel_visitors(
    session: AsyncSession, *, funnel_id: uuid.UUID, limit: int = 200, now: datetime | None = None
) -> list[FunnelVisitor]:
    """The funnel's sessions active in the last 30 minutes (seed 002's visitors online),
    the most recent first (the index on funnel and start: a live session began less than
    `LONGEST_LIVE_SESSION` ago)."""
    since = (now or datetime.now(UTC)) - LIVE_WINDOW
    rows = list(
        (
            await session.scalars(
                select(TrackedSession)
                .where(
                    TrackedSession.funnel_id == funnel_id,
                    TrackedSession.started_at >= since - LONGEST_LIVE_SESSION,
                    TrackedSession.last_activity_at >= since,
                    TrackedSession.is_bot.is_(False),
                )
                .order_by(TrackedSession.last_activity_at.desc())
                .limit(limit)
            )
        ).all()
    )
    touches = await _touches(session, rows)
    return [_visitor(row, touches.get(row.session_id, (None, None))) for row in rows]
