"""A recovered sale: when a payment becomes paid, the case it belongs to — as the unpaid
charge itself (paid after the reminder), as the charge made through the case's resume
link, or as a charge of an abandoned checkout's session in that funnel (the buyer came
back) — is recovered with that payment's amount, once (a listener of the payments'
`on_payment_status_changed`, in the payment's transaction).

The sale's attribution needs nothing here: the charge made through the resume link
carries the checkout's original session and visitor (`service.resume`), so its lead and
purchase conversion are credited to the campaign that brought the buyer the first time.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.funnels.payments.schemas import PaymentStatusChanged
from rastro.funnels.payments.service import hooks as payment_hooks
from rastro.funnels.recovery.models import RecoveryCase


@payment_hooks.on_payment_status_changed
async def mark_recovered(session: AsyncSession, change: PaymentStatusChanged) -> None:
    """A paid payment recovers its case (if it has one, and only once)."""
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
