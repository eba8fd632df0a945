"""What a sale becomes: a paid payment gets its buyer's lead and a purchase conversion;
a refund or chargeback reverses that conversion.

A status change that sells (`paid`, `refunded`, `chargedback`) queues `record_sale` in the
change's transaction (a listener of `on_payment_status_changed`); the job then

1. captures the buyer as a lead through the CRM's capture (one lead per payment, its
   `Idempotency-Key` the payment's, so a second run returns it; the contact is the
   person's one contact), with the checkout's tracked session, so that the lead's
   credited touch, UTMs and click ids are the session's;
2. creates the lead's `purchase` conversion (upsells too: each payment has its own
   lead, so names never collide) through the conversions module, with the payment's
   value and currency, the paid time, and
   `purchase_event_id(payment id)` as its order id: the ad platforms' event id, the
   same the browser pixel sent, and UTMify's order id (the conversions module sends
   UTMify the order with its status);
3. for a refunded or charged-back payment, sets that conversion's order status
   (UTMify gets the order again with the new status);
4. wins the lead with a won deal carrying the sale (value, product, payment method, and
   the refund or chargeback with its date) through the CRM's `sales.record_sale`, so the
   sale's revenue and profit reach the reports against the campaign that brought it.

Every step is idempotent, so the job can run twice, or after a later status.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions.service import orders, records
from rastro.core.db import Scope
from rastro.core.errors import RastroError
from rastro.core.jobs import enqueue
from rastro.core.units import TransactionBoundary
from rastro.crm.schemas import ExternalSale
from rastro.crm.service import facts as lead_facts
from rastro.crm.service import sales
from rastro.crm.service.capture import Submission, capture
from rastro.funnels.payments.models import Payment
from rastro.funnels.payments.schemas import PaymentStatusChanged
from rastro.funnels.payments.service import hooks, payments
from rastro.funnels.payments.statuses import SOLD, purchase_event_id

log = structlog.get_logger(__name__)

RECORD_SALE_TASK = "payments:record_sale"
# Every sale, upsells included, is a `purchase` (Meta's and TikTok's Purchase event, the
# browser pixel's name too, so that both deduplicate on the event id).
CONVERSION_NAME = "purchase"
QUEUE = "payments"


@hooks.on_payment_status_changed
async def queue_sale(session: AsyncSession, change: PaymentStatusChanged) -> None:
    """A payment that sold (or was reversed): record its lead and conversion after commit."""
    if change.status not in SOLD:
        return
    await enqueue(
        session,
        RECORD_SALE_TASK,
        args={
            "organization_id": str(change.organization_id),
            "payment_id": str(change.payment_id),
        },
        queue=QUEUE,
        # One payment's sale jobs one after the other (a refund right after the payment).
        lock=f"payments.sale:{change.payment_id}",
    )


@dataclass(frozen=True)
class _Sale:
    status: str
    lead_id: uuid.UUID | None
    submission: Submission


@dataclass(frozen=True)
class SaleRecorded:
    lead_id: uuid.UUID | None
    conversion_id: uuid.UUID | None
    reason: str | None = None  # why there is no conversion


def _submission(payment: Payment) -> Submission:
    customer = payment.customer_data or {}
    return Submission(
        name=customer.get("name"),
        email=customer.get("email"),
        phone=customer.get("phone"),
        session_id=payment.session_id,
        visitor_id=payment.visitor_id,
        # One lead per payment: the capture's duplicate rule (same person, same form,
        # 10 minutes) must not fold an upsell's sale into the first one's lead.
        form_location=f"checkout {payment.id}",
        idempotency_key=f"payment:{payment.id}",
        fields={"payment_id": str(payment.id), "product": payment.product_name},
        # A checkout platform's order: the checkout link's UTMs, src and sck.
        attribution={str(k): str(v) for k, v in (payment.tracking or {}).items()},
    )


async def record_sale(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    *,
    organization_id: uuid.UUID,
    payment_id: uuid.UUID,
) -> SaleRecorded:
    """The payment's lead and purchase conversion (see the module's docstring)."""
    scope = Scope.organization(organization_id)
    async with crm.unit(scope) as session:
        payment = await session.get(Payment, payment_id)
        if payment is None or payment.status not in SOLD:
            return SaleRecorded(None, None, "not sold")
        sale = _Sale(payment.status, payment.lead_id, _submission(payment))
    lead_id = sale.lead_id
    if lead_id is None:
        if not sale.submission.email and not sale.submission.phone:
            log.info("payments.sale_without_contact", payment_id=str(payment_id))
            return SaleRecorded(None, None, "no e-mail or phone")
        try:
            captured = await capture(crm, bi, organization_id, sale.submission)
        except RastroError as error:
            log.warning("payments.sale_lead_refused", payment_id=str(payment_id), code=error.code)
            return SaleRecorded(None, None, f"lead refused: {error.code}")
        lead_id = captured.lead_id
    async with crm.unit(scope) as session:
        payment = await session.get(Payment, payment_id, with_for_update=True)
        assert payment is not None
        lead = await lead_facts.get_conversion_facts(session, lead_id)
        if lead is None:  # the lead was deleted since
            await payments.record_outcome(session, payment_id, lead_id=None, conversion_id=None)
            return SaleRecorded(None, None, "lead deleted")
        event_id = purchase_event_id(payment.id)
        created = await records.create_conversion(
            session,
            lead=lead,
            conversion_name=CONVERSION_NAME,
            value=payment.amount,
            currency=payment.currency,
            conversion_date=payment.paid_at or payment.status_changed_at,
            order_id=event_id,
            origin="checkout",
        )
        conversion = created.conversion
        if conversion.order_id != event_id:
            # The lead's conversion of that name is another sale's (cannot happen with
            # one lead per payment, unless a lead was chosen by hand): keep the lead only.
            await payments.record_outcome(session, payment_id, lead_id=lead_id, conversion_id=None)
            return SaleRecorded(lead_id, None, "the lead has another sale's conversion")
        if payment.status in ("refunded", "chargedback") and conversion.order_status == "paid":
            await orders.change_order_status(
                session,
                conversion.conversion_id,
                status=payment.status,
                at=max(payment.status_changed_at, conversion.conversion_date),
            )
        await sales.record_sale(session, lead_id, _external_sale(payment))
        await payments.record_outcome(
            session, payment_id, lead_id=lead_id, conversion_id=conversion.conversion_id
        )
        return SaleRecorded(lead_id, conversion.conversion_id)


def _external_sale(payment: Payment) -> ExternalSale:
    return ExternalSale(
        origin=payment.gateway or "checkout",
        external_id=f"payment:{payment.id}",
        value=payment.amount,
        currency=payment.currency,
        sold_at=payment.paid_at or payment.status_changed_at,
        product=payment.product_name,
        payment_method=payment.payment_method,
        refunded_at=payment.status_changed_at if payment.status == "refunded" else None,
        chargeback_at=payment.status_changed_at if payment.status == "chargedback" else None,
    )
