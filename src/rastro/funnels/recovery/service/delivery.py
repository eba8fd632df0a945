"""The recovery webhook (for WhatsApp tools): one signed POST per attempt to the URL of
the funnel's vault `webhook` credential, its secret (or its key when it has no secret)
signing it as every Rastro webhook is (`rastro.core.signing`).

Request body (`Content-Type: application/json`):

    {"event": "recovery.pix_unpaid" | "recovery.boleto_unpaid" | "recovery.checkout_abandoned",
     "delivery_id": "<the action's id, the same on every attempt>",
     "organization_id": "...", "sent_at": "<ISO 8601>",
     "recovery": {"id", "kind", "funnel_id", "payment_id", "detected_at",
                  "buyer": {"first_name", "phone", "email"},
                  "product", "amount": "97.00", "currency": "BRL",
                  "pix_copy_paste": "<BR Code while the PIX can be paid, else null>",
                  "pix_expires_at", "resume_url", "resume_expires_at",
                  "message": "<the WhatsApp text in the funnel's language>"}}

Headers: `X-Rastro-Event`, `X-Rastro-Delivery`, `X-Rastro-Timestamp`,
`X-Rastro-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.
Any 2xx is success; 408, 425, 429, 5xx, timeouts and network errors are retried by the
job queue with exponential backoff and jitter (`RetryPolicy.queued`, at least the
receiver's Retry-After) up to `MAX_ATTEMPTS`; other statuses fail at once. No
transaction stays open while the receiver is called.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog

from rastro.auth.service import credentials
from rastro.core import webhooks
from rastro.core.db import Scope
from rastro.core.errors import NotFound
from rastro.core.http import RetryPolicy
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery.models import RecoveryAction, RecoveryCase
from rastro.funnels.recovery.service import links
from rastro.funnels.recovery.service.actions import LinkSigner, pix_code
from rastro.funnels.recovery.service.settings import effective_settings

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class DeliveryConfig:
    timeout: float = 10.0
    retry_base_seconds: float = 60.0


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | failed | pending | skipped
    retry_at: datetime | None = None


@dataclass(frozen=True)
class _Prepared:
    body: bytes
    event: str
    attempts: int
    credential_id: uuid.UUID | None


def document(
    action: RecoveryAction,
    row: RecoveryCase,
    payment: Payment | None,
    *,
    resume_url: str,
    message: str,
    now: datetime,
) -> dict[str, Any]:
    """The webhook's JSON body."""
    return {
        "event": f"recovery.{row.kind}",
        "delivery_id": str(action.id),
        "organization_id": str(row.organization_id),
        "sent_at": now.isoformat(),
        "recovery": {
            "id": str(row.id),
            "kind": row.kind,
            "funnel_id": str(row.funnel_id) if row.funnel_id else None,
            "payment_id": str(row.payment_id) if row.payment_id else None,
            "detected_at": row.detected_at.isoformat(),
            "buyer": {
                "first_name": links.first_name(row.contact.get("name")),
                "phone": row.contact.get("phone"),
                "email": row.contact.get("email"),
            },
            "product": row.product_name,
            "amount": f"{row.amount:.2f}",
            "currency": row.currency,
            "pix_copy_paste": pix_code(payment, now),
            "pix_expires_at": payment.expires_at.isoformat()
            if payment is not None and payment.expires_at and pix_code(payment, now)
            else None,
            "resume_url": resume_url,
            "resume_expires_at": row.resume_expires_at.isoformat(),
            "message": message,
        },
    }


async def _prepare(
    crm: TransactionBoundary, scope: Scope, action_id: uuid.UUID, signer: LinkSigner, now: datetime
) -> _Prepared | None:
    async with crm.unit(scope) as session:
        action = await session.get(RecoveryAction, action_id)
        if action is None or action.status != "pending" or action.channel != "webhook":
            return None
        row = await session.get(RecoveryCase, action.case_id)
        assert row is not None
        payment = await session.get(Payment, row.payment_id) if row.payment_id else None
        settings = await effective_settings(session, row.funnel_id)
        resume_url = signer.resume_url(row)
        message = links.whatsapp_message(
            kind=row.kind,
            language=settings.language if settings else "pt-BR",
            template=settings.whatsapp_message if settings else None,
            name=row.contact.get("name"),
            product=row.product_name,
            amount=row.amount,
            currency=row.currency,
            link=resume_url,
        )
        body = orjson.dumps(
            document(action, row, payment, resume_url=resume_url, message=message, now=now)
        )
        return _Prepared(
            body=body,
            event=f"recovery.{row.kind}",
            attempts=action.attempts + 1,
            credential_id=settings.webhook_credential_id if settings else None,
        )


async def attempt(
    crm: TransactionBoundary,
    keyring: Keyring,
    *,
    signer: LinkSigner,
    organization_id: uuid.UUID,
    action_id: uuid.UUID,
    config: DeliveryConfig | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Make one attempt of a pending webhook action (others are left as they are)."""
    config = config or DeliveryConfig()
    scope = Scope.organization(organization_id)
    now = now or datetime.now(UTC)
    prepared = await _prepare(crm, scope, action_id, signer, now)
    if prepared is None:
        return Outcome("skipped")
    credential = None
    if prepared.credential_id is not None:
        async with crm.unit(scope) as session:
            try:
                credential = await credentials.resolve_credential(
                    session, keyring, prepared.credential_id
                )
            except NotFound:
                credential = None
    target = credentials.webhook_target(credential)
    if target is None:
        return await _finish(
            crm, scope, action_id, "failed", attempts=prepared.attempts, error="No webhook URL."
        )
    url, secret = target
    sent = await webhooks.post_signed(
        url,
        secret,
        prepared.body,
        event=prepared.event,
        delivery_id=str(action_id),
        timeout=config.timeout,
    )
    status, error = sent.http, sent.error
    if sent.delivered:
        return await _finish(
            crm, scope, action_id, "sent", attempts=prepared.attempts, http=status, now=now
        )
    if sent.transient and prepared.attempts < MAX_ATTEMPTS:
        retry_at = now + RetryPolicy.queued(config.retry_base_seconds).wait(
            prepared.attempts, sent.retry_after
        )
        await _finish(
            crm,
            scope,
            action_id,
            "pending",
            attempts=prepared.attempts,
            http=status,
            error=error,
            next_attempt_at=retry_at,
        )
        return Outcome("pending", retry_at)
    return await _finish(
        crm, scope, action_id, "failed", attempts=prepared.attempts, http=status, error=error
    )


async def _finish(
    crm: TransactionBoundary,
    scope: Scope,
    action_id: uuid.UUID,
    status: str,
    *,
    attempts: int,
    http: int | None = None,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
    now: datetime | None = None,
) -> Outcome:
    async with crm.unit(scope) as session:
        action = await session.get(RecoveryAction, action_id, with_for_update=True)
        if action is None:
            return Outcome("skipped")
        action.status = status
        action.attempts = attempts
        action.http_status = http
        action.error = error
        action.next_attempt_at = next_attempt_at
        if status == "sent":
            action.sent_at = now or datetime.now(UTC)
    log.info(
        "recovery.webhook_attempt",
        action_id=str(action_id),
        status=status,
        http_status=http,
        attempts=attempts,
    )
    return Outcome(status, next_attempt_at)
