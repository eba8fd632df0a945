"""A firing's deliveries. By e-mail: one mail per member recipient per attempt
(`alert_mail`), through the instance's system sender. By webhook: one POST per attempt to
the rule's vault `webhook` credential (its API URL; its secret, or its key when it has no
secret, signs), signed as every Rastro webhook is (`rastro.core.signing`:
`X-Rastro-Timestamp`, `X-Rastro-Signature` = `sha256=` HMAC-SHA256 of timestamp + "." +
raw body).

Request body (`Content-Type: application/json`):

    {"event": "alert.opened" | "alert.resolved", "delivery_id": "...",
     "organization_id": "...", "sent_at": "<ISO 8601>",
     "alert": {"id", "status", "opened_at", "resolved_at", "subject": {...},
               "rule": {"id", "name", "metric", "comparator", "threshold", "window_days"},
               "figures": [{"day", "value", "breached", "spend", ...}, ...]}}

`X-Rastro-Delivery` is the same on every attempt (receivers drop duplicates). Any 2xx is
success; 408, 429, 5xx, timeouts and network errors are retried through the job queue
(`RetryPolicy.queued`, at least the server's Retry-After) up to `MAX_ATTEMPTS`; other
statuses fail at once. No transaction stays open while the receiver is called.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog

from rastro.analytics.health_models import AlertDelivery, AlertEvent, AlertRule
from rastro.analytics.service import alert_mail
from rastro.auth.service import accounts, credentials
from rastro.core import webhooks
from rastro.core.db import Scope
from rastro.core.errors import NotFound
from rastro.core.http import RetryPolicy
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.email.service import system_mail

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class DeliveryConfig:
    timeout: float = 10.0
    retry_base_seconds: float = 60.0


@dataclass(frozen=True)
class Outcome:
    status: str  # success | failed | pending | skipped
    retry_at: datetime | None = None


def document(
    delivery: AlertDelivery, event: AlertEvent, rule: AlertRule | None, now: datetime
) -> dict[str, Any]:
    """The webhook's JSON body."""
    return {
        "event": f"alert.{delivery.transition}",
        "delivery_id": str(delivery.id),
        "organization_id": str(delivery.organization_id),
        "sent_at": now.isoformat(),
        "alert": {
            "id": str(event.id),
            "status": event.status,
            "opened_at": event.opened_at.isoformat(),
            "resolved_at": event.resolved_at.isoformat() if event.resolved_at else None,
            "subject": event.subject,
            "rule": {
                "id": str(event.rule_id),
                "name": rule.name if rule else None,
                "metric": rule.metric if rule else None,
                "comparator": rule.comparator if rule else None,
                "threshold": str(rule.threshold) if rule else None,
                "window_days": rule.window_days if rule else None,
            },
            "figures": event.resolved_figures
            if delivery.transition == "resolved" and event.resolved_figures is not None
            else event.figures,
        },
    }


async def attempt(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    keyring: Keyring,
    *,
    organization_id: uuid.UUID,
    delivery_id: uuid.UUID,
    config: DeliveryConfig | None = None,
    settings: Any = None,
) -> Outcome:
    """Make one attempt of a pending delivery (others are left as they are). `settings`
    (`rastro.config.Settings`) carries the system mail sender for e-mail deliveries."""
    config = config or DeliveryConfig()
    scope = Scope.organization(organization_id)
    now = datetime.now(UTC)
    async with bi.unit(scope) as session:
        delivery = await session.get(AlertDelivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            return Outcome("skipped")
        event = await session.get(AlertEvent, delivery.event_id)
        rule = await session.get(AlertRule, delivery.rule_id)
        if event is None:
            return await _finish(bi, scope, delivery_id, "failed", error="The alert is gone.")
        session.expunge_all()
        transition = delivery.transition
        attempts = delivery.attempts + 1
        credential_id = delivery.credential_id
        channel = delivery.channel
    if channel == "email":
        return await _attempt_email(
            crm, bi, scope, delivery_id, rule, event, transition, attempts, config, settings, now
        )
    body = orjson.dumps(document(delivery, event, rule, now))
    async with crm.unit(scope) as session:
        try:
            credential = (
                await credentials.resolve_credential(session, keyring, credential_id)
                if credential_id is not None
                else None
            )
        except NotFound:
            credential = None
    target = credentials.webhook_target(credential)
    if target is None:
        return await _finish(
            bi, scope, delivery_id, "failed", attempts=attempts, error="No webhook credential."
        )
    url, secret = target
    sent = await webhooks.post_signed(
        url,
        secret,
        body,
        event=f"alert.{transition}",
        delivery_id=str(delivery_id),
        timeout=config.timeout,
    )
    status, error = sent.http, sent.error
    if sent.delivered:
        return await _finish(bi, scope, delivery_id, "success", attempts=attempts, http=status)
    if sent.transient and attempts < MAX_ATTEMPTS:
        return await _retry(
            bi,
            scope,
            delivery_id,
            attempts,
            config,
            now,
            sent.retry_after,
            http=status,
            error=error,
        )
    return await _finish(
        bi, scope, delivery_id, "failed", attempts=attempts, http=status, error=error
    )


async def _attempt_email(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    scope: Scope,
    delivery_id: uuid.UUID,
    rule: AlertRule | None,
    event: AlertEvent,
    transition: str,
    attempts: int,
    config: DeliveryConfig,
    settings: Any,
    now: datetime,
) -> Outcome:
    if rule is None or settings is None:
        return await _finish(
            bi, scope, delivery_id, "failed", attempts=attempts, error="The rule is gone."
        )
    if not system_mail.is_configured(settings):
        return await _finish(
            bi, scope, delivery_id, "failed", attempts=attempts, error="No mail sender."
        )
    async with crm.unit(scope) as session:
        members = await accounts.member_contacts(session, list(rule.email_recipients))
        organization = await accounts.get_organization(session, event.organization_id)
        context = alert_mail.AlertMailContext(
            organization=organization.name, public_url=settings.public_url
        )
    result = await alert_mail.send(
        settings,
        members,
        rule=rule,
        event=event,
        transition=transition,
        context=context,
        delivery_id=delivery_id,
    )
    if result.outcome == "sent":
        return await _finish(bi, scope, delivery_id, "success", attempts=attempts)
    if result.outcome == "retry" and attempts < MAX_ATTEMPTS:
        return await _retry(bi, scope, delivery_id, attempts, config, now, None, error=result.error)
    return await _finish(bi, scope, delivery_id, "failed", attempts=attempts, error=result.error)


async def _retry(
    bi: TransactionBoundary,
    scope: Scope,
    delivery_id: uuid.UUID,
    attempts: int,
    config: DeliveryConfig,
    now: datetime,
    retry_after: float | None,
    *,
    http: int | None = None,
    error: str | None = None,
) -> Outcome:
    retry_at = now + RetryPolicy.queued(config.retry_base_seconds).wait(attempts, retry_after)
    await _finish(
        bi,
        scope,
        delivery_id,
        "pending",
        attempts=attempts,
        http=http,
        error=error,
        next_attempt_at=retry_at,
    )
    return Outcome("pending", retry_at)


async def _finish(
    bi: TransactionBoundary,
    scope: Scope,
    delivery_id: uuid.UUID,
    status: str,
    *,
    attempts: int | None = None,
    http: int | None = None,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
) -> Outcome:
    async with bi.unit(scope) as session:
        delivery = await session.get(AlertDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            return Outcome("skipped")
        delivery.status = status
        if attempts is not None:
            delivery.attempts = attempts
        delivery.http_status = http
        delivery.error = error
        delivery.next_attempt_at = next_attempt_at
        if status == "success":
            delivery.delivered_at = datetime.now(UTC)
    log.info(
        "analytics.alert_delivered",
        delivery_id=str(delivery_id),
        status=status,
        http_status=http,
    )
    return Outcome(status)
