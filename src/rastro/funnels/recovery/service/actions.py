"""What every recovery case shares, whatever found it: the signer of its resume link,
the campaign of the checkout's session, the PIX code while it can be paid, and its
actions, opened once per channel:

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

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.jobs import enqueue
from rastro.core.units import TransactionBoundary
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery import schemas
from rastro.funnels.recovery.models import RecoveryAction, RecoveryCase
from rastro.funnels.recovery.service import hooks, links
from rastro.tracking.service.conversions import session_facts

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


async def campaign_of(
    bi: TransactionBoundary,
    organization_id: uuid.UUID,
    session_id: str | None,
    tracking: dict[str, Any] | None = None,
) -> tuple[str | None, str | None]:
    """The source and campaign of the checkout's session (its last touch with a campaign,
    else the visitor's first), else the checkout link's UTMs a platform reported."""
    if session_id:
        facts = await session_facts(bi, organization_id, session_id)
        if facts is not None:
            for touch in (facts.last_touch, facts.first_touch):
                if touch is not None and (touch.utm_campaign or touch.utm_source):
                    return touch.utm_source, touch.utm_campaign
    tracking = tracking or {}
    source, campaign = tracking.get("utm_source"), tracking.get("utm_campaign")
    return (str(source)[:255] if source else None, str(campaign)[:255] if campaign else None)


def pix_code(payment: Payment | None, now: datetime) -> str | None:
    """The PIX copia e cola while the charge can still be paid."""
    if payment is None or payment.status != "pending" or not payment.pix_copy_paste:
        return None
    if payment.expires_at is not None and payment.expires_at <= now:
        return None
    return payment.pix_copy_paste


async def open_actions(
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
