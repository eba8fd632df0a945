"""A data subject's payments (the privacy module's export and erasure): by their leads,
visitor ids, or the e-mail or phone the customer typed at checkout. Erasure keeps the
payment (amount, status, dates: revenue reports do not move) and drops the customer's
data and the gateway's copy of it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.personal import blind_index
from rastro.core.subjects import ErasedCounts, SubjectRows, rows_where
from rastro.funnels.payments.models import Payment


def _of_person(
    *,
    email: str | None,
    phone: str | None,
    lead_ids: Sequence[uuid.UUID],
    visitor_ids: Sequence[str],
) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    # The buyer's data is encrypted at rest: found by its blind indexes.
    if email:
        conditions.append(Payment.customer_email_index == blind_index("email", email))
    if phone:
        conditions.append(Payment.customer_phone_index == blind_index("phone", phone))
    if lead_ids:
        conditions.append(Payment.lead_id.in_(lead_ids))
    if visitor_ids:
        conditions.append(Payment.visitor_id.in_(visitor_ids))
    return or_(*conditions) if conditions else false()


async def subject_data(
    session: AsyncSession,
    *,
    email: str | None,
    phone: str | None,
    lead_ids: Sequence[uuid.UUID],
    visitor_ids: Sequence[str],
) -> SubjectRows:
    """The person's payments."""
    condition = _of_person(email=email, phone=phone, lead_ids=lead_ids, visitor_ids=visitor_ids)
    return {"payments": await rows_where(session, Payment.__table__, condition)}


async def erase_subject(
    session: AsyncSession,
    *,
    email: str | None,
    phone: str | None,
    lead_ids: Sequence[uuid.UUID],
    visitor_ids: Sequence[str],
) -> ErasedCounts:
    """Drop the customer's data from the person's payments (the payments stay)."""
    condition = _of_person(email=email, phone=phone, lead_ids=lead_ids, visitor_ids=visitor_ids)
    result = await session.execute(
        update(Payment)
        .where(condition)
        .values(
            customer_data={},
            customer_email_index=None,
            customer_phone_index=None,
            gateway_response={},
            visitor_id=None,
            tracking={},
        )
    )
    return {"payments": int(getattr(result, "rowcount", 0) or 0)}
