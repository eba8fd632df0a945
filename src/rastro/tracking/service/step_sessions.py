"""The sessions left on a funnel's step: what the funnels' recovery of abandoned
checkouts reads of the tracked sessions (seed 002's visitors)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.tracking.models import TrackedSession


@dataclass(frozen=True)
class SessionOnStep:
    """A session last seen on a funnel's step (the tracker's id, and the server's)."""

    organization_id: uuid.UUID
    client_session_id: str
    session_id: str
    visitor_id: str
    funnel_id: uuid.UUID
    step_id: uuid.UUID
    last_activity_at: datetime


async def sessions_left_on_steps(
    session: AsyncSession,
    *,
    step_ids: Collection[uuid.UUID],
    idle_before: datetime,
    active_after: datetime,
    limit: int = 1000,
) -> list[SessionOnStep]:
    """The sessions (of the scope's organizations) whose current step is one of these and
    whose last activity is in (`active_after`, `idle_before`], the most recent first."""
    if not step_ids:
        return []
    rows = await session.execute(
        select(
            TrackedSession.organization_id,
            TrackedSession.client_session_id,
            TrackedSession.session_id,
            TrackedSession.visitor_id,
            TrackedSession.funnel_id,
            TrackedSession.current_step_id,
            TrackedSession.last_activity_at,
        )
        .where(
            TrackedSession.current_step_id.in_(list(step_ids)),
            TrackedSession.last_activity_at <= idle_before,
            TrackedSession.last_activity_at > active_after,
            TrackedSession.is_bot.is_(False),
        )
        .order_by(TrackedSession.last_activity_at.desc())
        .limit(limit)
    )
    return [
        SessionOnStep(
            organization_id=row.organization_id,
            client_session_id=row.client_session_id,
            session_id=row.session_id,
            visitor_id=row.visitor_id,
            funnel_id=row.funnel_id,
            step_id=row.current_step_id,
            last_activity_at=row.last_activity_at,
        )
        for row in rows
        if row.funnel_id is not None and row.current_step_id is not None
    ]
