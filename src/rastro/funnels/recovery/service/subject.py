"""A data subject's abandoned checkouts (the privacy module's export and erasure): the
checkout starts and recovery cases of their visitor ids, or whose typed contact carries
their e-mail or phone. Erasure drops the typed contact (the cases stay counted)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.personal import blind_index
from rastro.core.subjects import ErasedCounts, SubjectRows, rows_where
from rastro.funnels.recovery.models import RecoveryCase, RecoveryCheckoutStart

Model = type[RecoveryCase] | type[RecoveryCheckoutStart]


def _of_person(
    model: Model, *, email: str | None, phone: str | None, visitor_ids: Sequence[str]
) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    # The typed contact is encrypted: found by the blind indexes of its e-mail and phone.
    if email:
        conditions.append(model.contact_email_index == blind_index("email", email))
    if phone:
        conditions.append(model.contact_phone_index == blind_index("phone", phone))
    if visitor_ids:
        conditions.append(model.visitor_id.in_(visitor_ids))
    return or_(*conditions) if conditions else false()


async def subject_data(
    session: AsyncSession, *, email: str | None, phone: str | None, visitor_ids: Sequence[str]
) -> SubjectRows:
    """The person's checkout starts and recovery cases."""
    rows: SubjectRows = {}
    for name, model in (
        ("recovery_checkout_starts", RecoveryCheckoutStart),
        ("recovery_cases", RecoveryCase),
    ):
        condition = _of_person(model, email=email, phone=phone, visitor_ids=visitor_ids)
        rows[name] = await rows_where(session, model.__table__, condition)
    return rows


async def erase_subject(
    session: AsyncSession, *, email: str | None, phone: str | None, visitor_ids: Sequence[str]
) -> ErasedCounts:
    """Drop the typed contact and visitor id of the person's checkouts."""
    erased: ErasedCounts = {}
    for name, model in (
        ("recovery_checkout_starts", RecoveryCheckoutStart),
        ("recovery_cases", RecoveryCase),
    ):
        condition = _of_person(model, email=email, phone=phone, visitor_ids=visitor_ids)
        result = await session.execute(
            update(model)
            .where(condition)
            .values(contact={}, contact_email_index=None, contact_phone_index=None, visitor_id=None)
            .execution_options(synchronize_session=False)
        )
        erased[name] = int(getattr(result, "rowcount", 0) or 0)
    return erased
