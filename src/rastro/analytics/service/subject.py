"""A data subject in the analytics facts (the privacy module's export and erasure): the
session facts of their visitor ids and the conversion facts of their leads. Erasure swaps
each visitor id for the replacement the caller chose (the same the tracking tables get);
`visitor_key`, the hash the distinct-visitor counts use, stays, so no report moves."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics.models import ConversionFact, SessionFact
from rastro.core.subjects import ErasedCounts, SubjectRows, rows_where


async def subject_data(
    session: AsyncSession, *, visitor_ids: Sequence[str], lead_ids: Sequence[uuid.UUID]
) -> SubjectRows:
    """The person's session and conversion facts."""
    if not visitor_ids and not lead_ids:
        return {}
    conversions = or_(
        ConversionFact.lead_id.in_(lead_ids), ConversionFact.visitor_ids.overlap(list(visitor_ids))
    )
    return {
        "session_facts": await rows_where(
            session, SessionFact.__table__, SessionFact.visitor_id.in_(visitor_ids)
        ),
        "conversion_facts": await rows_where(session, ConversionFact.__table__, conversions),
    }


async def erase_subject(
    session: AsyncSession, *, visitor_replacements: Mapping[str, str]
) -> ErasedCounts:
    """Replace the person's visitor ids in the facts."""
    erased: ErasedCounts = {"session_facts": 0, "conversion_facts": 0}
    for visitor_id, replacement in visitor_replacements.items():
        sessions = await session.execute(
            update(SessionFact)
            .where(SessionFact.visitor_id == visitor_id)
            .values(visitor_id=replacement)
        )
        conversions = await session.execute(
            update(ConversionFact)
            .where(ConversionFact.visitor_ids.any_() == visitor_id)
            .values(
                visitor_ids=func.array_replace(ConversionFact.visitor_ids, visitor_id, replacement)
            )
        )
        erased["session_facts"] += int(getattr(sessions, "rowcount", 0) or 0)
        erased["conversion_facts"] += int(getattr(conversions, "rowcount", 0) or 0)
    return {store: count for store, count in erased.items() if count}
