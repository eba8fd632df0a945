"""The checkout steps every organization sells on (read in the system scope by the
funnels' recovery detection)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.funnels.builder.models import Funnel, FunnelStep


async def active_checkout_steps(
    session: AsyncSession,
) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
    """(step, organization, funnel) of every active checkout step of an active funnel that
    the session's scope sees (the recovery's detection reads them in the system scope)."""
    rows = await session.execute(
        select(FunnelStep.id, FunnelStep.organization_id, FunnelStep.funnel_id)
        .join(Funnel, Funnel.id == FunnelStep.funnel_id)
        .where(
            FunnelStep.step_type == "checkout",
            FunnelStep.is_active.is_(True),
            Funnel.is_active.is_(True),
        )
    )
    return [(step_id, organization_id, funnel_id) for step_id, organization_id, funnel_id in rows]
