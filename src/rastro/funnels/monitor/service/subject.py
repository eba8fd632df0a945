"""A data subject's funnel step visits (the privacy module's export and erasure), by their
visitor ids; erasure swaps each for the replacement the caller chose (the same the
tracking tables get), so the funnel's figures do not move."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.subjects import ErasedCounts, SubjectRows, rows_where
from rastro.funnels.monitor.models import FunnelStepVisit


async def subject_data(session: AsyncSession, *, visitor_ids: Sequence[str]) -> SubjectRows:
    """The person's funnel step visits."""
    if not visitor_ids:
        return {}
    return {
        "funnel_step_visits": await rows_where(
            session, FunnelStepVisit.__table__, FunnelStepVisit.visitor_id.in_(visitor_ids)
        )
    }


async def erase_subject(
    session: AsyncSession, *, visitor_replacements: Mapping[str, str]
) -> ErasedCounts:
    """Replace the person's visitor ids in the step visits."""
    total = 0
    for visitor_id, replacement in visitor_replacements.items():
        result = await session.execute(
            update(FunnelStepVisit)
            .where(FunnelStepVisit.visitor_id == visitor_id)
            .values(visitor_id=replacement)
        )
        total += int(getattr(result, "rowcount", 0) or 0)
    return {"funnel_step_visits": total} if total else {}
