"""Step visits: recorded when a session views a funnel step, counted by the analytics."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.funnels.monitor.models import FunnelStepVisit
from rastro.tracking.service.funnel_steps import FunnelVisitor


async def record_visit(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    visitor: FunnelVisitor,
    funnel_id: uuid.UUID,
    step_id: uuid.UUID,
    at: datetime,
) -> bool:
    """The session's first visit of the step (a later one changes nothing); True when new."""
    result = await session.execute(
        insert(FunnelStepVisit)
        .values(
            organization_id=organization_id,
            funnel_id=funnel_id,
            step_id=step_id,
            session_id=visitor.session_id,
            visitor_id=visitor.visitor_id,
            visited_at=at,
            channel=visitor.channel,
            source=(visitor.source or "")[:255] or None,
            medium=(visitor.medium or "")[:255] or None,
            campaign=(visitor.campaign or "")[:255] or None,
            device=visitor.device,
        )
        .on_conflict_do_nothing(index_elements=["step_id", "session_id"])
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class StepVisitCount:
    step_id: uuid.UUID
    source: str | None
    campaign: str | None
    visitors: int


async def count_visits(
    session: AsyncSession, *, funnel_id: uuid.UUID, start: datetime, end: datetime
) -> list[StepVisitCount]:
    """Sessions per step, source and campaign whose visit fell in [start, end) (the index
    on funnel and visit time)."""
    rows = await session.execute(
        select(
            FunnelStepVisit.step_id,
            FunnelStepVisit.source,
            FunnelStepVisit.campaign,
            func.count().label("visitors"),
        )
        .where(
            FunnelStepVisit.funnel_id == funnel_id,
            FunnelStepVisit.visited_at >= start,
            FunnelStepVisit.visited_at < end,
        )
        .group_by(FunnelStepVisit.step_id, FunnelStepVisit.source, FunnelStepVisit.campaign)
    )
    return [StepVisitCount(*row) for row in rows]


async def sources_of(
    session: AsyncSession, *, funnel_id: uuid.UUID, session_ids: list[str]
) -> dict[str, tuple[str | None, str | None]]:
    """The (source, campaign) of each session's first visit of the funnel."""
    if not session_ids:
        return {}
    rows = await session.execute(
        select(FunnelStepVisit.session_id, FunnelStepVisit.source, FunnelStepVisit.campaign)
        .where(
            FunnelStepVisit.funnel_id == funnel_id,
            FunnelStepVisit.session_id.in_(session_ids),
        )
        .order_by(FunnelStepVisit.visited_at.desc())
    )
    # The first visit's values win (later rows are overwritten by earlier ones).
    return {sid: (source, campaign) for sid, source, campaign in rows}


async def count_sessions(
    session: AsyncSession, *, funnel_id: uuid.UUID, start: datetime, end: datetime
) -> list[tuple[str | None, str | None, int]]:
    """Distinct sessions per (source, campaign) that visited any step in [start, end)."""
    rows = await session.execute(
        select(
            FunnelStepVisit.source,
            FunnelStepVisit.campaign,
            func.count(FunnelStepVisit.session_id.distinct()),
        )
        .where(
            FunnelStepVisit.funnel_id == funnel_id,
            FunnelStepVisit.visited_at >= start,
            FunnelStepVisit.visited_at < end,
        )
        .group_by(FunnelStepVisit.source, FunnelStepVisit.campaign)
    )
    return [(source, campaign, int(n)) for source, campaign, n in rows]
