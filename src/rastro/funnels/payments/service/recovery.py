"""PIX recovery by e-mail: a payment's changes handed to the e-mail sequences (the
payments sit above the e-mail module, which never imports them). A new pending PIX enrolls
its buyer in the `pix_unpaid` sequences, due once the charge stayed unpaid for the
sequence's minutes; a paid one ends those enrollments. Both run in the change's
transaction, so a rolled-back payment enrolls nobody."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.email.service.sequences import triggers
from rastro.funnels.payments.models import Payment
from rastro.funnels.payments.schemas import PaymentStatusChanged
from rastro.funnels.payments.service import hooks


@hooks.on_payment_status_changed
async def sequence_payment(session: AsyncSession, change: PaymentStatusChanged) -> None:
    if change.previous is None and change.status == "pending":
        payment = await session.get(Payment, change.payment_id)
        if payment is None or payment.payment_method != "pix":
            return
        customer = payment.customer_data or {}
        await triggers.payment_pending(
            session,
            payment_id=payment.id,
            email=customer.get("email"),
            name=customer.get("name"),
            now=change.changed_at,
        )
    elif change.status == "paid":
        await triggers.payment_settled(
            session, payment_id=change.payment_id, status=change.status, now=change.changed_at
        )
