"""A funnel's payments for its live monitor and its analytics (indexed reads: the
organization's payments by creation time, narrowed to the funnel)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.funnels.payments import schemas
from rastro.funnels.payments.models import Payment

MAX_RANGE_PAYMENTS = 100_000


async def recent_payments(
    session: AsyncSession, *, funnel_id: uuid.UUID, limit: int = 30
) -> list[schemas.PaymentSummary]:
    """The funnel's latest payments, newest first."""
    rows = await session.scalars(
        select(Payment)
        .where(Payment.funnel_id == funnel_id)
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .limit(limit)
    )
    return [schemas.PaymentSummary.model_validate(row) for row in rows]


async def funnel_payments(
    session: AsyncSession, *, funnel_id: uuid.UUID, start: datetime, end: datetime
) -> list[schemas.PaymentSummary]:
    """The funnel's payments created in [start, end)."""
    rows = await session.scalars(
        select(Payment)
        .where(
            Payment.funnel_id == funnel_id,
            Payment.created_at >= start,
            Payment.created_at < end,
        )
        .order_by(Payment.created_at)
        .limit(MAX_RANGE_PAYMENTS)
    )
    return [schemas.PaymentSummary.model_validate(row) for row in rows]
