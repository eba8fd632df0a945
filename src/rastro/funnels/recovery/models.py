"""Tables of the recovery: each funnel's settings, the recovery cases (one per unpaid
payment or abandoned checkout) and the actions taken on each (once per channel).

A case keeps the buyer's contact as the checkout received it (never logged), the
product and amount, and the campaign of the checkout's tracked session at detection
(`utm_source`, `utm_campaign`), so that the report groups recovered revenue by the
campaign that brought the buyer, whatever link brought them back.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, event, func
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin
from rastro.core.ids import uuid7
from rastro.core.personal import blind_index, encrypted_document

CASE_KINDS = ("checkout_abandoned", "pix_unpaid", "boleto_unpaid")
CHANNELS = ("webhook", "whatsapp", "email")
ACTION_STATUSES = ("pending", "sent", "failed")


def contact_indexes(contact: dict[str, Any]) -> dict[str, str | None]:
    """The blind indexes of a typed contact's e-mail and phone (every write of `contact`
    sets them: the statements that write it are Core inserts)."""
    return {
        "contact_email_index": blind_index("email", contact.get("email")),
        "contact_phone_index": blind_index("phone", contact.get("phone")),
    }


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class RecoverySettings(TenantMixin, CrmBase):
    """A funnel's recovery settings (a funnel without a row uses the defaults)."""

    __tablename__ = "recovery_settings"
    __table_args__ = (
        CheckConstraint("checkout_delay_minutes BETWEEN 5 AND 10080", name="checkout_delay"),
        CheckConstraint("pix_delay_minutes BETWEEN 5 AND 10080", name="pix_delay"),
        CheckConstraint("boleto_delay_minutes BETWEEN 5 AND 20160", name="boleto_delay"),
        CheckConstraint("link_valid_hours BETWEEN 1 AND 720", name="link_valid"),
        CheckConstraint("language IN ('pt-BR', 'en')", name="language_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    funnel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("funnels.id", ondelete="CASCADE"), unique=True
    )
    enabled: Mapped[bool] = mapped_column(server_default="true")
    checkout_delay_minutes: Mapped[int] = mapped_column(server_default="30")
    pix_delay_minutes: Mapped[int] = mapped_column(server_default="15")
    boleto_delay_minutes: Mapped[int] = mapped_column(server_default="1440")
    link_valid_hours: Mapped[int] = mapped_column(server_default="72")
    language: Mapped[str] = mapped_column(String(5), server_default="pt-BR")
    # The WhatsApp message; {first_name}, {product}, {amount} and {link} are filled in.
    whatsapp_message: Mapped[str | None] = mapped_column(Text)
    # A vault credential of service `webhook`: its URL receives the signed recovery webhook.
    webhook_credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class RecoveryCheckoutStart(TenantMixin, CrmBase):
    """A buyer who typed their e-mail or phone in a checkout's form (sent by the page as
    they fill it, once per form and contact), whether or not they went on to generate the
    charge: the detection's abandoned checkouts without a lead."""

    __tablename__ = "recovery_checkout_starts"
    __table_args__ = (
        Index(
            "uq_recovery_checkout_starts_organization_id_token",
            "organization_id",
            "token",
            unique=True,
        ),
        Index("ix_recovery_checkout_starts_updated_at", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    funnel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funnels.id", ondelete="CASCADE"))
    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funnel_steps.id", ondelete="CASCADE"))
    # The checkout form's token (its charge's idempotency key is `funnel-checkout:<token>`).
    token: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(64))
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    # name, email, phone as typed (validated): never logged, stored encrypted, found by
    # the blind indexes of its e-mail and phone (`contact_indexes`).
    contact: Mapped[dict[str, Any]] = encrypted_document("recovery_checkout_starts", "contact")
    contact_email_index: Mapped[str | None] = mapped_column(String(32))
    contact_phone_index: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RecoveryCase(TenantMixin, CrmBase):
    """One checkout or payment to recover, detected once."""

    __tablename__ = "recovery_cases"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_listed(CASE_KINDS)})", name="kind_known"),
        # Once per payment …
        Index(
            "uq_recovery_cases_payment_id",
            "payment_id",
            unique=True,
            postgresql_where=sql_text("payment_id IS NOT NULL"),
        ),
        # … and once per abandoned checkout (a session on a funnel's checkout step).
        Index(
            "uq_recovery_cases_checkout",
            "organization_id",
            "step_id",
            "session_id",
            unique=True,
            postgresql_where=sql_text("payment_id IS NULL"),
        ),
        Index("ix_recovery_cases_organization_id_detected_at", "organization_id", "detected_at"),
        Index("ix_recovery_cases_resumed_payment_id", "resumed_payment_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    funnel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("funnels.id", ondelete="SET NULL"), index=True
    )
    step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("funnel_steps.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(20))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE")
    )
    # The checkout's tracked session and visitor: a sale through the resume link keeps them.
    session_id: Mapped[str | None] = mapped_column(String(64))
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    utm_source: Mapped[str | None] = mapped_column(String(255))
    utm_campaign: Mapped[str | None] = mapped_column(String(255))
    # name, email, phone, document as the checkout received them: never logged.
    contact: Mapped[dict[str, Any]] = encrypted_document("recovery_cases", "contact")
    contact_email_index: Mapped[str | None] = mapped_column(String(32))
    contact_phone_index: Mapped[str | None] = mapped_column(String(32))
    product_name: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), server_default="BRL")
    detected_at: Mapped[datetime]
    resume_expires_at: Mapped[datetime]
    resumed_at: Mapped[datetime | None]
    # The charge made through the resume link, when the first one could not be paid.
    resumed_payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="SET NULL")
    )
    recovered_at: Mapped[datetime | None]
    recovered_payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="SET NULL")
    )
    recovered_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RecoveryAction(TenantMixin, CrmBase):
    """One recovery action of a case, once per channel: the signed webhook (delivered
    with retries), the sales team's WhatsApp message (sent when opened from the page),
    an e-mail (taken by a listener of `service.hooks`)."""

    __tablename__ = "recovery_actions"
    __table_args__ = (
        CheckConstraint(f"channel IN ({_listed(CHANNELS)})", name="channel_known"),
        CheckConstraint(f"status IN ({_listed(ACTION_STATUSES)})", name="status_known"),
        Index("uq_recovery_actions_case_id_channel", "case_id", "channel", unique=True),
        Index(
            "ix_recovery_actions_pending_next_attempt_at",
            "next_attempt_at",
            postgresql_where=sql_text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recovery_cases.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), server_default="pending")
    attempts: Mapped[int] = mapped_column(server_default="0")
    http_status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(255))
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


def _set_contact_indexes(
    _mapper: Any, _connection: Any, target: RecoveryCheckoutStart | RecoveryCase
) -> None:
    for name, value in contact_indexes(target.contact or {}).items():
        setattr(target, name, value)


# ORM writes get the indexes here; the services' Core inserts pass `contact_indexes`.
for _model in (RecoveryCheckoutStart, RecoveryCase):
    event.listen(_model, "before_insert", _set_contact_indexes)
    event.listen(_model, "before_update", _set_contact_indexes)
