"""Unpaid charges: the checkouts' payments that were not paid in time become recovery
cases, once each.

A payment is due when it belongs to a funnel whose recovery is enabled (no saved
settings: the defaults), is a first charge (not an upsell), is a PIX or boleto still
`pending` or already `expired` / `failed` / `cancelled`, was created at least the
funnel's delay ago (`pix_delay_minutes`, `boleto_delay_minutes`) and at most
`MAX_AGE` ago, has the buyer's e-mail or phone, is not itself the charge made through a
resume link nor a charge of a checkout already being recovered as abandoned, and the
buyer (same session or same e-mail) has not paid another charge of the funnel since.
Each due payment is one unit of work: its case is inserted with `ON CONFLICT DO
NOTHING` on the payment, so two detection runs make one case and one set of actions
(`service.actions`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, and_, case, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rastro.core.db import SYSTEM, Scope
from rastro.core.ids import uuid7
from rastro.core.units import TransactionBoundary
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery.models import RecoveryCase, RecoverySettings, contact_indexes
from rastro.funnels.recovery.service.actions import (
    BATCH,
    MAX_AGE,
    SOLD,
    UNPAID,
    Detected,
    LinkSigner,
    campaign_of,
    open_actions,
)
from rastro.funnels.recovery.service.settings import DEFAULTS, effective_settings


def _due_payments(now: datetime) -> Any:
    settings = aliased(RecoverySettings)
    later = aliased(Payment)
    delay = case(
        (
            Payment.payment_method == "boleto",
            func.coalesce(settings.boleto_delay_minutes, DEFAULTS.boleto_delay_minutes),
        ),
        else_=func.coalesce(settings.pix_delay_minutes, DEFAULTS.pix_delay_minutes),
    )
    email = Payment.customer_email_index  # the buyer's data is encrypted: its blind index
    paid_since = exists().where(
        later.funnel_id == Payment.funnel_id,
        later.id != Payment.id,
        later.status.in_(SOLD),
        later.created_at >= Payment.created_at,
        or_(
            and_(Payment.session_id.is_not(None), later.session_id == Payment.session_id),
            and_(email.is_not(None), later.customer_email_index == email),
        ),
    )
    known = exists().where(
        or_(
            RecoveryCase.payment_id == Payment.id,
            RecoveryCase.resumed_payment_id == Payment.id,
            and_(
                RecoveryCase.kind == "checkout_abandoned",
                RecoveryCase.funnel_id == Payment.funnel_id,
                RecoveryCase.session_id == Payment.session_id,
            ),
        )
    )
    return (
        select(Payment.id, Payment.organization_id)
        .outerjoin(settings, settings.funnel_id == Payment.funnel_id)
        .where(
            Payment.funnel_id.is_not(None),
            Payment.parent_payment_id.is_(None),
            Payment.status.in_(UNPAID),
            Payment.payment_method.in_(("pix", "boleto")),
            func.coalesce(settings.enabled, literal(True)),
            Payment.created_at
            <= literal(now, DateTime(timezone=True)) - func.make_interval(0, 0, 0, 0, 0, delay),
            Payment.created_at > now - MAX_AGE,
            or_(
                Payment.customer_email_index.is_not(None),
                Payment.customer_phone_index.is_not(None),
            ),
            ~known,
            ~paid_since,
        )
        .order_by(Payment.created_at)
        .limit(BATCH)
    )


async def _read_payment(
    crm: TransactionBoundary, organization_id: uuid.UUID, payment_id: uuid.UUID
) -> Payment | None:
    async with crm.unit(Scope.organization(organization_id)) as session:
        payment = await session.get(Payment, payment_id)
        if payment is not None:
            session.expunge(payment)
        return payment


async def detect_unpaid(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    *,
    signer: LinkSigner,
    now: datetime,
) -> list[Detected]:
    """Every organization's due payments become cases with their actions (see above)."""
    async with crm.unit(SYSTEM) as session:
        due = list(await session.execute(_due_payments(now)))
    detected: list[Detected] = []
    for payment_id, organization_id in due:
        payment = await _read_payment(crm, organization_id, payment_id)
        if payment is None:
            continue
        utm_source, utm_campaign = await campaign_of(
            bi, organization_id, payment.session_id, payment.tracking
        )
        async with crm.unit(Scope.organization(organization_id)) as session:
            made = await open_payment_case(
                session,
                payment,
                signer=signer,
                now=now,
                utm_source=utm_source,
                utm_campaign=utm_campaign,
            )
        if made is not None:
            detected.append(made)
    return detected


async def open_payment_case(
    session: AsyncSession,
    payment: Payment,
    *,
    signer: LinkSigner,
    now: datetime,
    utm_source: str | None,
    utm_campaign: str | None,
) -> Detected | None:
    """The payment's case and actions, unless it has one already (then None)."""
    settings = await effective_settings(session, payment.funnel_id)
    if settings is None or not settings.enabled:
        return None
    customer = payment.customer_data or {}
    # The buyer's CPF/CNPJ stays with the payment: a resume link pre-fills no document.
    contact = {k: customer[k] for k in ("name", "email", "phone") if customer.get(k)}
    kind = "boleto_unpaid" if payment.payment_method == "boleto" else "pix_unpaid"
    case_id = await session.scalar(
        insert(RecoveryCase)
        .values(
            id=uuid7(),
            organization_id=payment.organization_id,
            funnel_id=payment.funnel_id,
            step_id=payment.step_id,
            kind=kind,
            payment_id=payment.id,
            session_id=payment.session_id,
            visitor_id=payment.visitor_id,
            utm_source=utm_source,
            utm_campaign=utm_campaign,
            contact=contact,
            **contact_indexes(contact),
            product_name=payment.product_name,
            amount=payment.amount,
            currency=payment.currency,
            detected_at=now,
            resume_expires_at=now + timedelta(hours=settings.link_valid_hours),
        )
        .on_conflict_do_nothing(
            index_elements=["payment_id"], index_where=RecoveryCase.payment_id.is_not(None)
        )
        .returning(RecoveryCase.id)
    )
    if case_id is None:
        return None
    row = await session.get(RecoveryCase, case_id)
    assert row is not None
    channels = await open_actions(session, row, settings, payment=payment, signer=signer, now=now)
    return Detected(payment.organization_id, case_id, tuple(channels))
