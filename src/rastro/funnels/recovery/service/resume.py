"""The resume link's side of the recovery, for the public checkout pages: what the link
reopens (the pending PIX while it can still be paid, else the checkout pre-filled with
the buyer's data), and the charge made through it, which keeps the checkout's original
session and visitor — a buyer who comes back from WhatsApp without UTMs, or on another
phone, is still credited to the campaign that brought them (the resumed visit is a new
session of its own and never touches the original one's touch)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope, set_scope
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery.errors import InvalidResumeLink
from rastro.funnels.recovery.models import RecoveryCase
from rastro.funnels.recovery.service import links
from rastro.funnels.recovery.service.actions import pix_code


@dataclass(frozen=True)
class ResumeTarget:
    case_id: uuid.UUID
    funnel_id: uuid.UUID
    step_id: uuid.UUID
    # The charge to show again while it can be paid (None: a new charge is needed).
    pending_payment_id: uuid.UUID | None
    session_id: str | None
    visitor_id: str | None
    values: dict[str, str] = field(default_factory=dict)  # name, email, phone, document


async def open_resume_link(
    session: AsyncSession,
    *,
    secret: str,
    token: str,
    organization_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> ResumeTarget:
    """What a resume token reopens, the session scoped to its organization. 400
    `invalid_resume_link` for an altered token or a case that is gone, 410
    `resume_link_expired` past its time; a token of another organization than the
    page's (`organization_id`, when given) is invalid. The first opening is recorded."""
    moment = now or datetime.now(UTC)
    claim = links.read_resume_token(secret, token, now=moment)
    if organization_id is not None and claim.organization_id != organization_id:
        raise InvalidResumeLink()
    await set_scope(session, Scope.organization(claim.organization_id))
    row = await session.get(RecoveryCase, claim.case_id)
    if row is None or row.funnel_id is None or row.step_id is None:
        raise InvalidResumeLink()
    if row.resumed_at is None:
        row.resumed_at = moment
    pending: uuid.UUID | None = None
    for payment_id in (row.resumed_payment_id, row.payment_id):
        payment = await session.get(Payment, payment_id) if payment_id else None
        if payment is not None and pix_code(payment, moment) is not None:
            pending = payment.id
            break
    await session.flush()
    return ResumeTarget(
        case_id=row.id,
        funnel_id=row.funnel_id,
        step_id=row.step_id,
        pending_payment_id=pending,
        session_id=row.session_id,
        visitor_id=row.visitor_id,
        values={str(k): str(v) for k, v in row.contact.items()},
    )
