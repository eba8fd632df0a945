"""Provider webhooks received: the endpoint token in the URL names the organization
(through its sender), then the provider's signature or credentials are verified before
anything in the body is read, then the notices are applied (`bounces.apply_notices`).

Secrets: Amazon SES needs none (SNS signs with Amazon's certificate); Postmark's basic
auth password is derived from the server secret (`tokens.webhook_password`); SendGrid's
verification key and Mailgun's signing key are the organization's newest active vault
credential of service `sendgrid_webhook` / `mailgun_webhook` — without one, the endpoint
answers 404 like an unknown one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.db import SYSTEM, Scope, scoped, set_scope
from rastro.core.pagination import PageParams
from rastro.core.security import Keyring
from rastro.email.errors import (
    BadWebhookPayload,
    WebhookRejected,
    WebhookReplayed,
    WebhookUnauthorized,
)
from rastro.email.models import Sender, WebhookToken
from rastro.email.providers import mailgun
from rastro.email.providers.base import ProviderEvent, WebhookVerificationError
from rastro.email.providers.mailgun import MailgunWebhook
from rastro.email.providers.postmark import PostmarkWebhook
from rastro.email.providers.sendgrid import SendGridWebhook
from rastro.email.providers.ses import SesWebhook, SnsVerificationError
from rastro.email.service import settings, tokens
from rastro.email.service.bounces import apply_notices

CREDENTIAL_SERVICES = {"sendgrid": "sendgrid_webhook", "mailgun": "mailgun_webhook"}


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


async def _provider_key(crm: AsyncSession, keyring: Keyring, provider: str) -> str:
    """The verifying secret of `provider` from the organization's vault (404 without one)."""
    rows, _ = await credentials.list_credentials(
        crm, PageParams(page=1, page_size=20), service=CREDENTIAL_SERVICES[provider]
    )
    active = sorted((c for c in rows if c.is_active), key=lambda c: c.created_at, reverse=True)
    if not active:
        raise WebhookRejected(details={"reason": "no verification key configured"})
    resolved = await credentials.resolve_credential(crm, keyring, active[0].id)
    return resolved.api_key


def _json(body: bytes) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadWebhookPayload("The body is not JSON.") from None


async def _apply(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    source: str,
    notices: list[ProviderEvent],
    default_limit: int,
) -> str:
    limit = await settings.soft_bounce_limit(crm, default=default_limit)
    applied = await apply_notices(crm, bi, source=source, notices=notices, soft_limit=limit)
    return f"applied:{applied}"


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
    return await _apply(
        crm, bi, source="ses", notices=webhook.events(envelope), default_limit=soft_limit
    )


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
    notices = webhook.events(_json(body))
    if notices is None:
        raise BadWebhookPayload()
    return await _apply(crm, bi, source="postmark", notices=notices, default_limit=soft_limit)


async def receive_sendgrid(
    crm: AsyncSession,
    bi: AsyncSession,
    keyring: Keyring,
    *,
    webhook_token: str,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    soft_limit: int,
) -> str:
    """A SendGrid Event Webhook POST: ECDSA signature and timestamp checked, then its
    events applied (each once per `sg_event_id`)."""
    await _endpoint(crm, bi, webhook_token)
    webhook = SendGridWebhook(verification_key=await _provider_key(crm, keyring, "sendgrid"))
    try:
        webhook.verify(signature=signature, timestamp=timestamp, body=body)
    except WebhookVerificationError as error:
        raise WebhookRejected(details={"reason": str(error)}) from None
    notices = webhook.events(_json(body))
    if notices is None:
        raise BadWebhookPayload()
    return await _apply(crm, bi, source="sendgrid", notices=notices, default_limit=soft_limit)


async def receive_mailgun(
    crm: AsyncSession,
    bi: AsyncSession,
    keyring: Keyring,
    *,
    webhook_token: str,
    body: bytes,
    soft_limit: int,
) -> str:
    """A Mailgun webhook POST: HMAC and timestamp checked, its token refused when seen
    before (406), then its event applied."""
    sender = await _endpoint(crm, bi, webhook_token)
    webhook = MailgunWebhook(signing_key=await _provider_key(crm, keyring, "mailgun"))
    payload = _json(body)
    try:
        token = webhook.verify(payload)
    except WebhookVerificationError as error:
        raise WebhookRejected(details={"reason": str(error)}) from None
    notices = webhook.events(payload) if isinstance(payload, dict) else None
    if notices is None:
        raise BadWebhookPayload()
    await _remember_token(crm, sender, "mailgun", token)
    return await _apply(crm, bi, source="mailgun", notices=notices, default_limit=soft_limit)


async def _remember_token(crm: AsyncSession, sender: Sender, provider: str, token: str) -> None:
    """Keep a one-time token (406 when it was received before); forget those older than
    twice the accepted window, which would be refused as stale anyway."""
    stored = await crm.scalar(
        insert(WebhookToken)
        .values(organization_id=sender.organization_id, provider=provider, token=token)
        .on_conflict_do_nothing()
        .returning(WebhookToken.token)
    )
    if stored is None:
        raise WebhookReplayed()
    horizon = datetime.now(UTC) - timedelta(seconds=2 * mailgun.TOLERANCE_SECONDS)
    await crm.execute(
        delete(WebhookToken).where(
            WebhookToken.provider == provider, WebhookToken.received_at < horizon
        )
    )
