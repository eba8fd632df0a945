"""What a sale becomes: a paid payment gets its buyer's lead and a purchase conversion;
a refund or chargeback reverses that conversion.

A payment whose status sells (`paid`, `refunded`, `chargedback`) and differs from its
`sale_status` (the status whose sale was last recorded) has its sale due. Moving a payment
to such a status makes sure one `record_sales` job waits, in the change's own statement
(a trigger of CRM migration 0046: no round trip of the status change's own, whatever
path moved it); the job lets sales gather for `OUTBOX_GATHER_SECONDS`, as the outbox's
delivery job does, then `record_due_sales` records every due sale, a few hundred at a
time, one organization's together. A sweep every minute records what a failure left, and
the rare sale whose transaction saw the waiting job just before it started but committed
after its scan. For each sale it

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
   sale's revenue and profit reach the reports against the campaign that brought it;
5. keeps the lead, the conversion and the status it recorded (`sale_status`) on the
   payment, in the same transaction as steps 2 to 4: a sale is due until that commits.

Every step is idempotent, so a sale recorded twice (a retried batch, a job of the
earlier one-job-per-sale version still queued) is recorded once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions.service import orders, records
from rastro.core.db import SYSTEM, Scope
from rastro.core.errors import RastroError
from rastro.core.units import TransactionBoundary
from rastro.crm.schemas import ExternalSale
from rastro.crm.service import facts as lead_facts
from rastro.crm.service import sales
from rastro.crm.service.capture import Submission, capture
from rastro.funnels.payments.models import SALE_DUE, Payment
from rastro.funnels.payments.service import payments
from rastro.funnels.payments.statuses import SOLD, purchase_event_id

log = structlog.get_logger(__name__)

# The job the trigger of CRM 0046 queues (its queue, task name and queueing lock are
# written there too); at most one waits, and one runs at a time (its lock).
RECORD_SALES_TASK = "payments:record_sales"
QUEUEING_LOCK = "payments.record_sales"
# Every sale, upsells included, is a `purchase` (Meta's and TikTok's Purchase event, the
# browser pixel's name too, so that both deduplicate on the event id).
CONVERSION_NAME = "purchase"
QUEUE = "payments"
# Due sales read per scan, and recorded per CRM transaction: a transaction that wins
# leads publishes outbox messages, and while it is open another transaction queueing the
# outbox's delivery job may wait for it.
SCAN_SIZE = 200
PER_TRANSACTION = 20


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


async def record_due_sales(
    crm: TransactionBoundary, bi: TransactionBoundary, *, scan_size: int = SCAN_SIZE
) -> int:
    """Record every due sale (see the module's docstring); returns how many were tried.
    A group that fails is tried again one sale at a time, so that a sale that cannot be
    recorded holds back no other; it stays due, for the next sweep."""
    tried = 0
    failed: set[uuid.UUID] = set()
    while True:
        scan = (
            select(Payment.id, Payment.organization_id)
            .where(sql_text(SALE_DUE))
            .order_by(Payment.status_changed_at)
            .limit(scan_size)
        )
        if failed:
            scan = scan.where(Payment.id.not_in(failed))
        async with crm.unit(SYSTEM) as session:
            due = (await session.execute(scan)).all()
        groups: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for payment_id, organization_id in due:
            groups[organization_id].append(payment_id)
        for organization_id, ids in groups.items():
            for start in range(0, len(ids), PER_TRANSACTION):
                chunk = ids[start : start + PER_TRANSACTION]
                failed |= await _record_isolating_failures(crm, bi, organization_id, chunk)
        tried += len(due)
        if len(due) < scan_size:
            return tried


async def _record_isolating_failures(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    organization_id: uuid.UUID,
    payment_ids: list[uuid.UUID],
) -> set[uuid.UUID]:
    """Record the sales; the ids of those that failed (each then tried alone)."""
    try:
        await record_sales(crm, bi, organization_id=organization_id, payment_ids=payment_ids)
        return set()
    except Exception as error:  # each sale is then tried again alone
        if len(payment_ids) == 1:
            log.warning(
                "payments.sale_failed",
                payment_id=str(payment_ids[0]),
                error_class=type(error).__name__,
            )
            return set(payment_ids)
    failed: set[uuid.UUID] = set()
    for payment_id in payment_ids:
        failed |= await _record_isolating_failures(crm, bi, organization_id, [payment_id])
    return failed


async def record_sale(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    *,
    organization_id: uuid.UUID,
    payment_id: uuid.UUID,
) -> SaleRecorded:
    """One payment's lead and purchase conversion (see the module's docstring)."""
    recorded = await record_sales(
        crm, bi, organization_id=organization_id, payment_ids=[payment_id]
    )
    return recorded.get(payment_id, SaleRecorded(None, None, "not sold"))


async def record_sales(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    *,
    organization_id: uuid.UUID,
    payment_ids: list[uuid.UUID],
) -> dict[uuid.UUID, SaleRecorded]:
    """Some payments' leads and purchase conversions, for one organization: the payments
    read at once, each buyer's lead captured (its own committed call), then every
    conversion and won deal in one CRM transaction with the payments locked."""
    scope = Scope.organization(organization_id)
    async with crm.unit(scope) as session:
        loaded = await session.scalars(
            select(Payment).where(Payment.id.in_(payment_ids), Payment.status.in_(sorted(SOLD)))
        )
        due = {
            payment.id: _Sale(payment.status, payment.lead_id, _submission(payment))
            for payment in loaded
        }
    recorded: dict[uuid.UUID, SaleRecorded] = {}
    leads: dict[uuid.UUID, uuid.UUID | None] = {}
    for payment_id, sale in due.items():
        leads[payment_id] = sale.lead_id
        if sale.lead_id is not None:
            continue
        if not sale.submission.email and not sale.submission.phone:
            log.info("payments.sale_without_contact", payment_id=str(payment_id))
            recorded[payment_id] = SaleRecorded(None, None, "no e-mail or phone")
            continue
        try:
            captured = await capture(crm, bi, organization_id, sale.submission)
        except RastroError as error:
            log.warning("payments.sale_lead_refused", payment_id=str(payment_id), code=error.code)
            recorded[payment_id] = SaleRecorded(None, None, f"lead refused: {error.code}")
            continue
        leads[payment_id] = captured.lead_id
    if not due:
        return recorded
    async with crm.unit(scope) as session:
        locked = await session.scalars(
            select(Payment)
            .where(Payment.id.in_(list(due)))
            .order_by(Payment.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        for payment in locked:
            lead_id = leads[payment.id]
            if lead_id is None:  # no lead: the sale is recorded as it is (the reason logged)
                await payments.record_outcome(
                    session,
                    payment.id,
                    status=payment.status,
                    lead_id=payment.lead_id,
                    conversion_id=payment.conversion_id,
                )
                continue
            recorded[payment.id] = await _convert(session, payment, lead_id)
    return recorded


async def _convert(session: AsyncSession, payment: Payment, lead_id: uuid.UUID) -> SaleRecorded:
    """Steps 2 to 5 of the module's docstring for a locked payment and its lead."""
    lead = await lead_facts.get_conversion_facts(session, lead_id)
    if lead is None:  # the lead was deleted since
        await payments.record_outcome(
            session, payment.id, status=payment.status, lead_id=None, conversion_id=None
        )
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
        # The lead's conversion of that name is another sale's (cannot happen with one
        # lead per payment, unless a lead was chosen by hand): keep the lead only.
        await payments.record_outcome(
            session, payment.id, status=payment.status, lead_id=lead_id, conversion_id=None
        )
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
        session,
        payment.id,
        status=payment.status,
        lead_id=lead_id,
        conversion_id=conversion.conversion_id,
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
