"""Seed 002's funnel visitors are tracked sessions: a session's funnel and current step,
set as the visitor moves through a funnel's public pages."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.tracking.models import TrackedSession


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
