"""Tables of the payments (seed 002 `payments`) and the log of the gateways' webhooks.

A payment is one charge: a PIX through a gateway or the built-in static PIX. Seed 002's
`visitor_id` is the tracked session (`session_id`, the tracker's id; DESIGN.md: visitors
are sessions). `funnel_id` and `step_id` name the funnel's rows by id. `lead_id` and
`conversion_id` are filled once a paid payment has its lead and purchase conversion
(`service.outcomes`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, event, func
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin
from rastro.core.ids import uuid7
from rastro.core.personal import blind_index, encrypted_json
from rastro.funnels.payments.statuses import STATUSES

# A payment whose sale is due: its status sells and its sale for that status is not
# recorded yet (the partial index's predicate, and the sale job's scan: the same text, so
# that the planner can use the index).
SALE_DUE = "status IN ('paid', 'refunded', 'chargedback') AND sale_status IS DISTINCT FROM status"
_STATUS_LIST = ", ".join(f"'{status}'" for status in STATUSES)


class Payment(TenantMixin, CrmBase):
    """One charge of a checkout (seed 002 `payments`)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_LIST})", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        # An order bump is offered with its price, and either ticked or not.
        CheckConstraint(
            "(bump_accepted IS NULL) = (bump_amount IS NULL) AND "
            "(bump_amount IS NULL) = (bump_product_name IS NULL) AND "
            "(bump_amount IS NULL OR bump_amount > 0)",
            name="bump_complete",
        ),
        # A gateway's charge id names one payment (the webhooks find it by that id).
        Index(
            "uq_payments_gateway_external_id",
            "gateway",
            "external_id",
            unique=True,
            postgresql_where=sql_text("external_id IS NOT NULL"),
        ),
        Index(
            "uq_payments_organization_id_idempotency_key",
            "organization_id",
            "idempotency_key",
            unique=True,
            postgresql_where=sql_text("idempotency_key IS NOT NULL"),
        ),
        Index("ix_payments_organization_id_created_at", "organization_id", "created_at"),
        # The expiry job's scan: pending charges by expiry.
        Index(
            "ix_payments_pending_expires_at",
            "expires_at",
            postgresql_where=sql_text("status = 'pending'"),
        ),
        # The sale job's scan: payments whose status sells and whose sale for that status
        # is not recorded yet (`service.outcomes.record_due_sales`).
        Index(
            "ix_payments_sale_due",
            "status_changed_at",
            postgresql_where=sql_text(SALE_DUE),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # The funnel and step of the checkout (kept when the funnel is deleted: SET NULL).
    funnel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("funnels.id", ondelete="SET NULL"), index=True
    )
    step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("funnel_steps.id", ondelete="SET NULL")
    )
    # The tracked session (seed 002 `visitor_id`) and visitor, as the tracker sent them.
    session_id: Mapped[str | None] = mapped_column(String(64))
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    # An upsell's charge points at the order it follows.
    parent_payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="SET NULL")
    )
    # static_pix | pix_api | mercadopago | pagarme | asaas (rastro.funnels.payments.gateways)
    gateway: Mapped[str] = mapped_column(String(20))
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL")
    )
    # The gateway's id of the charge (seed 002 `external_id`); the txid of a PIX API charge.
    external_id: Mapped[str | None] = mapped_column(String(255))
    txid: Mapped[str | None] = mapped_column(String(35))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), server_default="BRL")
    status: Mapped[str] = mapped_column(String(20), server_default="pending")
    payment_method: Mapped[str] = mapped_column(String(20), server_default="pix")
    product_name: Mapped[str | None] = mapped_column(String(255))
    # The checkout's order bump, when it offered one: its product and price, and whether
    # the buyer ticked it (then its price is part of `amount`). NULL: no bump offered.
    bump_product_name: Mapped[str | None] = mapped_column(String(255))
    bump_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    bump_accepted: Mapped[bool | None]
    # The buyer as the checkout sent it (name, email, phone, document): never logged,
    # stored encrypted (rastro.core.personal); its e-mail's and phone's blind indexes are
    # kept beside it for lookups (set on every write, see the events below).
    customer_data: Mapped[dict[str, Any]] = encrypted_json("payments", "customer_data")
    customer_email_index: Mapped[str | None] = mapped_column(String(32))
    customer_phone_index: Mapped[str | None] = mapped_column(String(32))
    # The checkout link's tracking parameters a checkout platform reported (src, sck,
    # utm_*): the lead's attribution when there is no tracked session.
    tracking: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # What the gateway answered, without the buyer's data (ids, statuses, QR fields).
    gateway_response: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    pix_copy_paste: Mapped[str | None] = mapped_column(Text)
    # A gateway's page or image of the charge (Mercado Pago's ticket_url, a PSP location).
    pix_url: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    # The buyer's lead and the purchase conversion, once the payment is paid.
    lead_id: Mapped[uuid.UUID | None]
    conversion_id: Mapped[uuid.UUID | None]
    # The status whose sale (lead, conversion, won deal) was last recorded; the sale is
    # due while the status sells and differs from it (CRM 0046 queues the job).
    sale_status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PaymentWebhook(TenantMixin, CrmBase):
    """A gateway's notification that named a payment, once per (gateway, charge, status):
    `applied` (the payment moved), `same` (it was already there) or `backwards` (ignored).
    Notifications that named no payment, or failed verification, are only logged."""

    __tablename__ = "payment_webhooks"
    __table_args__ = (
        Index(
            "uq_payment_webhooks_gateway_external_id_status",
            "gateway",
            "external_id",
            "status",
            unique=True,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    gateway: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(255))
    # The gateway's own notification id, when it sends one.
    event_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


def customer_columns(customer: dict[str, Any]) -> dict[str, Any]:
    """The buyer's data with its blind indexes, for `insert(Payment).values(**...)` (the
    ORM's writes get them from the events below)."""
    return {
        "customer_data": customer,
        "customer_email_index": blind_index("email", customer.get("email")),
        "customer_phone_index": blind_index("phone", customer.get("phone")),
    }


def _customer_indexes(_mapper: Any, _connection: Any, payment: Payment) -> None:
    for name, value in customer_columns(payment.customer_data or {}).items():
        if name != "customer_data":
            setattr(payment, name, value)


event.listen(Payment, "before_insert", _customer_indexes)
event.listen(Payment, "before_update", _customer_indexes)
