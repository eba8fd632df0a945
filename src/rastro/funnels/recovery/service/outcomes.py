"""A recovered sale: when a payment becomes paid, the case it belongs to — as the unpaid
charge itself (paid after the reminder), as the case's resumed charge (the first charge
its session made in the funnel after detection: through the resume link, which keeps
the original session, or the buyer back on their own), or as a charge of an abandoned
checkout's session in that funnel — is recovered with that payment's amount, once (a
listener of the payments' `on_payment_status_changed`, in the payment's transaction).

The sale's attribution needs nothing here: the charge made through the resume link
carries the checkout's original session and visitor (`service.resume`), so its lead and
purchase conversion are credited to the campaign that brought the buyer the first time.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.funnels.payments.schemas import PaymentStatusChanged
from rastro.funnels.payments.service import hooks as payment_hooks
from rastro.funnels.recovery.models import RecoveryCase


@payment_hooks.on_payment_status_changed
async def mark_recovered(session: AsyncSession, change: PaymentStatusChanged) -> None:
    """A new charge of an open case's session is the case's resumed charge; a paid
    payment recovers its case (if it has one, and only once)."""
    if change.previous is None:
        await _note_resumed(session, change)
    if change.status != "paid":
        return
    belongs = [
        RecoveryCase.payment_id == change.payment_id,
        RecoveryCase.resumed_payment_id == change.payment_id,
    ]
    if change.funnel_id is not None and change.session_id:
        belongs.append(
            and_(
                RecoveryCase.kind == "checkout_abandoned",
                RecoveryCase.funnel_id == change.funnel_id,
                RecoveryCase.session_id == change.session_id,
            )
        )
    await session.execute(
        update(RecoveryCase)
        .where(
            or_(*belongs),
            RecoveryCase.recovered_at.is_(None),
        )
        .values(
            recovered_at=change.changed_at,
            recovered_payment_id=change.payment_id,
            recovered_amount=change.amount,
        )
        .execution_options(synchronize_session=False)
    )


async def _note_resumed(session: AsyncSession, change: PaymentStatusChanged) -> None:
    """A charge created in the funnel by the session of an open case — through the
    resume link, which keeps the checkout's original session, or the buyer back on
    their own — is the case's resumed charge (the first one only)."""
    if change.funnel_id is None or not change.session_id:
        return
    row = await session.scalar(
        select(RecoveryCase)
        .where(
            RecoveryCase.funnel_id == change.funnel_id,
            RecoveryCase.session_id == change.session_id,
            RecoveryCase.recovered_at.is_(None),
            RecoveryCase.resumed_payment_id.is_(None),
            or_(RecoveryCase.payment_id.is_(None), RecoveryCase.payment_id != change.payment_id),
        )
        .order_by(RecoveryCase.detected_at.desc())
        .limit(1)
        .with_for_update()
    )
    if row is not None:
        row.resumed_payment_id = change.payment_id
        await session.flush()
