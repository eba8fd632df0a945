"""Checkout starts: what a checkout page sends while the buyer fills its form (their
name, e-mail and phone once an e-mail or a phone is there), kept once per form (its
token) and updated as they correct it. The detection (`service.abandoned`) turns a start
left without a charge past the funnel's checkout delay into an abandoned-checkout case;
starts older than `KEEP` are deleted every day.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import SYSTEM, scoped
from rastro.core.errors import UnprocessableEntity
from rastro.funnels.payments.schemas import CustomerIn
from rastro.funnels.recovery.models import RecoveryCheckoutStart, contact_indexes

KEEP = timedelta(days=14)


@dataclass(frozen=True)
class CheckoutStart:
    organization_id: uuid.UUID
    funnel_id: uuid.UUID
    step_id: uuid.UUID
    token: str
    session_id: str
    visitor_id: str | None
    name: str | None
    email: str | None
    phone: str | None


def _contact(start: CheckoutStart) -> dict[str, str]:
    """The typed contact, validated as the checkout validates it (422 otherwise)."""
    typed = {"name": start.name, "email": start.email, "phone": start.phone}
    try:
        customer = CustomerIn.model_validate({k: v for k, v in typed.items() if v})
    except ValidationError as error:
        raise UnprocessableEntity(
            details=[{"loc": ".".join(map(str, e["loc"]))} for e in error.errors()]
        ) from None
    contact = customer.model_dump(include={"name", "email", "phone"}, exclude_none=True)
    if not contact.get("email") and not contact.get("phone"):
        raise UnprocessableEntity(details=[{"loc": "email"}, {"loc": "phone"}])
    return {str(k): str(v) for k, v in contact.items()}


async def record_checkout_start(
    session: AsyncSession, start: CheckoutStart, *, now: datetime
) -> None:
    """Keep (or update) the form's start; 422 when it carries no valid e-mail or phone."""
    contact = _contact(start)
    await session.execute(
        insert(RecoveryCheckoutStart)
        .values(
            organization_id=start.organization_id,
            funnel_id=start.funnel_id,
            step_id=start.step_id,
            token=start.token,
            session_id=start.session_id,
            visitor_id=start.visitor_id,
            contact=contact,
            **contact_indexes(contact),
            started_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=["organization_id", "token"],
            set_={"contact": contact, **contact_indexes(contact), "updated_at": now},
        )
    )


async def purge_checkout_starts(session: AsyncSession, *, before: datetime) -> int:
    """Forget every organization's checkout starts last typed before `before` (the
    contact they hold is kept no longer than the detection can use it); how many."""
    async with scoped(session, SYSTEM):
        result = await session.execute(
            delete(RecoveryCheckoutStart)
            .where(RecoveryCheckoutStart.updated_at < before)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)
