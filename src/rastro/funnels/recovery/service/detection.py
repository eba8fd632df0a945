"""Detection: the checkouts' payments that were not paid in time become recovery cases,
once each, and get their actions.

A payment is due when it belongs to a funnel whose recovery is enabled (no saved
settings: the defaults), is a first charge (not an upsell), is a PIX or boleto still
`pending` or already `expired` / `failed` / `cancelled`, was created at least the
funnel's delay ago (`pix_delay_minutes`, `boleto_delay_minutes`) and at most
`MAX_AGE` ago, has the buyer's e-mail or phone, is not itself the charge made through a
resume link, and the buyer (same session or same e-mail) has not paid another charge of
the funnel since. Each due payment is one unit of work: its case is inserted with
`ON CONFLICT DO NOTHING` on the payment, so two detection runs make one case and one
set of actions:

* `webhook` — when the funnel names a webhook credential: queued for delivery
  (`service.delivery`), signed and retried;
* `whatsapp` — when the buyer left a phone: the wa.me link on the recovery page, marked
  sent when the sales team opens it;
* whatever the listeners of `service.hooks.on_recovery_opportunity` take (`email`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import DateTime, and_, case, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rastro.core.db import SYSTEM, Scope
from rastro.core.ids import uuid7
from rastro.core.jobs import enqueue
from rastro.core.units import TransactionBoundary
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery import schemas
from rastro.funnels.recovery.models import RecoveryAction, RecoveryCase, RecoverySettings
from rastro.funnels.recovery.service import hooks, links
from rastro.funnels.recovery.service.settings import DEFAULTS, effective_settings
from rastro.tracking.service.conversions import session_facts

log = structlog.get_logger(__name__)

MAX_AGE = timedelta(days=7)
UNPAID = ("pending", "expired", "failed", "cancelled")
SOLD = ("paid", "refunded", "chargedback")
QUEUE = "recovery"
DELIVER_WEBHOOK_TASK = "recovery:deliver_webhook"
BATCH = 500


@dataclass(frozen=True)
class LinkSigner:
    """Signs resume links with the server's secret, under its public URL."""

    secret: str
    base_url: str

    def resume_url(self, row: RecoveryCase) -> str:
        token = links.resume_token(
            self.secret,
            case_id=row.id,
            organization_id=row.organization_id,
            expires_at=row.resume_expires_at,
        )
        return links.resume_url(self.base_url, token)


def link_signer(settings: Any) -> LinkSigner:
    """The resume links' signer of the application's `Settings`: its secret key, under
    its public URL."""
    return LinkSigner(secret=settings.secret_key_value, base_url=settings.public_url)


@dataclass(frozen=True)
class Detected:
    organization_id: uuid.UUID
    case_id: uuid.UUID
    channels: tuple[str, ...]


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
    email = Payment.customer_data["email"].astext
    paid_since = exists().where(
        later.funnel_id == Payment.funnel_id,
        later.id != Payment.id,
        later.status.in_(SOLD),
        later.created_at >= Payment.created_at,
        or_(
            and_(Payment.session_id.is_not(None), later.session_id == Payment.session_id),
            and_(email.is_not(None), later.customer_data["email"].astext == email),
        ),
    )
    known = exists().where(
        or_(RecoveryCase.payment_id == Payment.id, RecoveryCase.resumed_payment_id == Payment.id)
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
                Payment.customer_data["email"].astext.is_not(None),
                Payment.customer_data["phone"].astext.is_not(None),
            ),
            ~known,
            ~paid_since,
        )
        .order_by(Payment.created_at)
        .limit(BATCH)
    )


async def _campaign(bi: TransactionBoundary, payment: Payment) -> tuple[str | None, str | None]:
    """The campaign of the checkout's session (its last touch with a campaign, else the
    visitor's first), else the checkout link's UTMs a platform reported."""
    if payment.session_id:
        facts = await session_facts(bi, payment.organization_id, payment.session_id)
        if facts is not None:
            for touch in (facts.last_touch, facts.first_touch):
                if touch is not None and (touch.utm_campaign or touch.utm_source):
                    return touch.utm_source, touch.utm_campaign
    tracking = payment.tracking or {}
    source, campaign = tracking.get("utm_source"), tracking.get("utm_campaign")
    return (str(source)[:255] if source else None, str(campaign)[:255] if campaign else None)


async def _read_payment(
    crm: TransactionBoundary, organization_id: uuid.UUID, payment_id: uuid.UUID
) -> Payment | None:
    async with crm.unit(Scope.organization(organization_id)) as session:
        payment = await session.get(Payment, payment_id)
        if payment is not None:
            session.expunge(payment)
        return payment


async def detect_due(
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
        utm_source, utm_campaign = await _campaign(bi, payment)
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
    if detected:
        log.info("recovery.detected", cases=len(detected))
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
    contact = {k: customer[k] for k in ("name", "email", "phone", "document") if customer.get(k)}
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
    channels = await _open_actions(session, row, settings, payment=payment, signer=signer, now=now)
    return Detected(payment.organization_id, case_id, tuple(channels))


def pix_code(payment: Payment | None, now: datetime) -> str | None:
    """The PIX copia e cola while the charge can still be paid."""
    if payment is None or payment.status != "pending" or not payment.pix_copy_paste:
        return None
    if payment.expires_at is not None and payment.expires_at <= now:
        return None
    return payment.pix_copy_paste


async def _open_actions(
    session: AsyncSession,
    row: RecoveryCase,
    settings: schemas.RecoverySettings,
    *,
    payment: Payment | None,
    signer: LinkSigner,
    now: datetime,
) -> list[str]:
    channels: list[str] = []
    if settings.webhook_credential_id is not None:
        action = RecoveryAction(
            organization_id=row.organization_id, case_id=row.id, channel="webhook"
        )
        session.add(action)
        await session.flush()
        await enqueue(
            session,
            DELIVER_WEBHOOK_TASK,
            args={"organization_id": str(row.organization_id), "action_id": str(action.id)},
            queue=QUEUE,
            lock=f"recovery.webhook:{action.id}",
        )
        channels.append("webhook")
    if row.contact.get("phone"):
        session.add(
            RecoveryAction(organization_id=row.organization_id, case_id=row.id, channel="whatsapp")
        )
        channels.append("whatsapp")
    opportunity = schemas.RecoveryOpportunity(
        case_id=row.id,
        organization_id=row.organization_id,
        funnel_id=row.funnel_id,
        kind=row.kind,
        payment_id=row.payment_id,
        first_name=links.first_name(row.contact.get("name")),
        name=row.contact.get("name"),
        email=row.contact.get("email"),
        phone=row.contact.get("phone"),
        product_name=row.product_name,
        amount=row.amount,
        currency=row.currency,
        pix_copy_paste=pix_code(payment, now),
        resume_url=signer.resume_url(row),
        resume_expires_at=row.resume_expires_at,
        language=settings.language,
    )
    for channel in await hooks.notify(session, opportunity):
        if channel in channels:
            continue
        session.add(
            RecoveryAction(
                organization_id=row.organization_id,
                case_id=row.id,
                channel=channel,
                status="sent",
                sent_at=now,
            )
        )
        channels.append(channel)
    await session.flush()
    return channels
