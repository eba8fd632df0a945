"""Provider webhooks applied: bounces, complaints and deliveries become message events
(stored once per provider event id), and change what we send to. A hard bounce marks the
recipient `bounced`, a complaint `complained`, each adding a suppression; soft bounces
suppress once they reach `EMAIL_SOFT_BOUNCE_LIMIT`.

The endpoint token in the URL names the organization (through its sender); nothing is
read from the body before the provider's signature or credentials verify.
"""

from __future__ import annotations

import uuid

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import SYSTEM, Scope, scoped, set_scope
from rastro.email.errors import BadWebhookPayload, WebhookRejected, WebhookUnauthorized
from rastro.email.models import EmailContact, Message, Sender, Suppression
from rastro.email.providers.base import ProviderEvent
from rastro.email.providers.postmark import PostmarkWebhook
from rastro.email.providers.ses import SesWebhook, SnsVerificationError
from rastro.email.service import tokens
from rastro.email.service.events import NewEvent, record_events


async def _endpoint(crm: AsyncSession, bi: AsyncSession, webhook_token: str) -> Sender:
    """The sender whose webhook URL this is; both sessions then scoped to its organization."""
    if not 16 <= len(webhook_token) <= 64:
        raise WebhookRejected()
    async with scoped(crm, SYSTEM):
        sender = await crm.scalar(select(Sender).where(Sender.webhook_token == webhook_token))
    if sender is None:
        raise WebhookRejected()
    scope = Scope.organization(sender.organization_id)
    await set_scope(crm, scope)
    await set_scope(bi, scope)
    return sender


async def _message(crm: AsyncSession, notice: ProviderEvent) -> Message | None:
    if notice.message_id is not None:
        message = await crm.get(Message, notice.message_id)
        if message is not None:
            return message
    if notice.provider_message_id:
        return await crm.scalar(
            select(Message).where(Message.provider_message_id == notice.provider_message_id)
        )
    return None


async def _suppress(crm: AsyncSession, contact_id: uuid.UUID, reason: str, status: str) -> None:
    await crm.execute(
        update(EmailContact).where(EmailContact.contact_id == contact_id).values(status=status)
    )
    present = await crm.scalar(
        select(Suppression.suppression_id).where(Suppression.contact_id == contact_id)
    )
    if present is None:
        crm.add(Suppression(contact_id=contact_id, reason=reason))
        await crm.flush()


async def apply_notices(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    source: str,
    notices: list[ProviderEvent],
    soft_limit: int,
) -> int:
    """Record each notice once and apply its consequences; returns how many were new.
    Notices for messages we do not know are ignored."""
    applied = 0
    for notice in notices:
        message = await _message(crm, notice)
        if message is None:
            continue
        event_type = "delivered" if notice.kind == "delivered" else notice.kind
        new = await record_events(
            bi,
            events=[
                NewEvent(
                    campaign_id=message.campaign_id,
                    message_id=message.message_id,
                    contact_id=message.contact_id,
                    type=event_type,
                    source=source,
                    subtype=notice.bounce_type,
                    external_id=notice.external_id[:255],
                    detail={"diagnostic": notice.diagnostic} if notice.diagnostic else {},
                    occurred_at=notice.occurred_at,
                )
            ],
        )
        if not new:
            continue  # a replay: already applied
        applied += 1
        if notice.kind == "complaint":
            await _suppress(crm, message.contact_id, "complaint", "complained")
        elif notice.kind == "bounce" and notice.bounce_type == "hard":
            await _suppress(crm, message.contact_id, "hard_bounce", "bounced")
        elif notice.kind == "bounce":
            count = await crm.scalar(
                update(EmailContact)
                .where(EmailContact.contact_id == message.contact_id)
                .values(soft_bounces=EmailContact.soft_bounces + 1)
                .returning(EmailContact.soft_bounces)
            )
            if count is not None and count >= soft_limit:
                await _suppress(crm, message.contact_id, "soft_bounces", "bounced")
    return applied


async def receive_ses(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    webhook_token: str,
    body: bytes,
    webhook: SesWebhook,
    soft_limit: int,
) -> str:
    """An SNS POST: verified, then confirmed (subscription) or applied (notification)."""
    await _endpoint(crm, bi, webhook_token)
    try:
        envelope = await webhook.verify(body)
    except SnsVerificationError as error:
        raise WebhookRejected(details={"reason": str(error)}) from None
    kind = envelope.get("Type")
    if kind == "SubscriptionConfirmation":
        try:
            await webhook.confirm(envelope)
        except SnsVerificationError as error:
            raise WebhookRejected(details={"reason": str(error)}) from None
        return "subscription_confirmed"
    if kind != "Notification":
        return "ignored"
    applied = await apply_notices(
        crm, bi, source="ses", notices=webhook.events(envelope), soft_limit=soft_limit
    )
    return f"applied:{applied}"


async def receive_postmark(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    webhook_token: str,
    authorization: str | None,
    body: bytes,
    secret: str,
    soft_limit: int,
) -> str:
    """A Postmark POST: basic auth checked, then the record applied."""
    await _endpoint(crm, bi, webhook_token)
    webhook = PostmarkWebhook(password=tokens.webhook_password(secret, webhook_token, "postmark"))
    if not webhook.verify(authorization):
        raise WebhookUnauthorized(headers={"WWW-Authenticate": 'Basic realm="rastro"'})
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadWebhookPayload("The body is not JSON.") from None
    notices = webhook.events(payload)
    if notices is None:
        raise BadWebhookPayload()
    applied = await apply_notices(
        crm, bi, source="postmark", notices=notices, soft_limit=soft_limit
    )
    return f"applied:{applied}"
