"""The gateways' webhooks: `POST /api/payments/webhook/{gateway}`.

The URL names no organization: the charges a webhook names (`Gateway.notifications`,
read before anything is trusted) find their payments across organizations, and each
payment's own gateway credential then authenticates the request (`Gateway.verify`). A
gateway whose body says no status (or must not be trusted) has the charge read back
under that credential. Then the status rule applies (`payments.apply_status`) and the
notification is recorded once per (gateway, charge, status).

What changes nothing is answered 2xx so that the gateway stops sending it, and logged
with ids only: a charge no payment has (`unknown_payment`), the status the payment
already has (`same`, a replay), a status behind it (`backwards`). A request that fails
authentication is a 401 and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.db import SYSTEM, Scope, set_scope
from rastro.core.errors import NotFound
from rastro.core.security import Keyring
from rastro.funnels.payments.errors import (
    GatewayUnavailable,
    InvalidWebhookSignature,
    MalformedWebhookBody,
    UnknownGateway,
)
from rastro.funnels.payments.gateways import GATEWAYS
from rastro.funnels.payments.gateways.base import (
    GatewayError,
    MalformedWebhook,
    Notification,
    SignedRequest,
    WebhookRejected,
)
from rastro.funnels.payments.models import Payment
from rastro.funnels.payments.schemas import WebhookResult
from rastro.funnels.payments.service import payments
from rastro.funnels.payments.statuses import Transition

log = structlog.get_logger(__name__)
_OUTCOME = {
    Transition.APPLY: "applied",
    Transition.SAME: "same",
    Transition.BACKWARDS: "backwards",
}


@dataclass(frozen=True)
class _Target:
    payment: payments.PaymentRef
    credential_id: uuid.UUID | None


# The charges a webhook names, across organizations (SYSTEM scope): what the status
# change tells its listeners, and the credential that authenticates the request.
_TARGET_COLUMNS = (
    Payment.external_id,
    Payment.id,
    Payment.organization_id,
    Payment.funnel_id,
    Payment.step_id,
    Payment.session_id,
    Payment.amount,
    Payment.currency,
    Payment.credential_id,
)


async def receive_webhook(
    session: AsyncSession, keyring: Keyring, *, gateway_name: str, request: SignedRequest
) -> list[WebhookResult]:
    """Apply a gateway's webhook (see the module's docstring). Raises 404 for an unknown
    gateway, 400 for a body the gateway does not send, 401 when authentication fails,
    503 when the charge cannot be read back (the gateway sends it again later). The
    session is left in the scope of the last payment's organization (a webhook's
    transaction ends with it)."""
    gateway = GATEWAYS.get(gateway_name)
    if gateway is None:
        raise UnknownGateway()
    try:
        notifications = gateway.notifications(request)
    except MalformedWebhook as error:
        log.info("payments.webhook_malformed", gateway=gateway.name, error=str(error))
        raise MalformedWebhookBody(str(error)) from None
    if not notifications:
        return []
    await set_scope(session, SYSTEM)
    rows = await session.execute(
        select(*_TARGET_COLUMNS).where(
            Payment.gateway == gateway.name,
            Payment.external_id.in_({n.external_id for n in notifications}),
        )
    )
    targets = {
        row.external_id: _Target(
            payments.PaymentRef(
                row.id,
                row.organization_id,
                row.funnel_id,
                row.step_id,
                row.session_id,
                row.amount,
                row.currency,
            ),
            row.credential_id,
        )
        for row in rows
    }
    results: list[WebhookResult] = []
    rejected = 0
    scope: uuid.UUID | None = None
    for notification in notifications:
        target = targets.get(notification.external_id)
        if target is None:
            log.info(
                "payments.webhook_unknown_payment",
                gateway=gateway.name,
                external_id=notification.external_id,
            )
            results.append(
                WebhookResult(external_id=notification.external_id, outcome="unknown_payment")
            )
            continue
        if scope != target.payment.organization_id:
            scope = target.payment.organization_id
            await set_scope(session, Scope.organization(scope))
        result = await _apply(session, keyring, gateway_name, notification, request, target)
        rejected += result.outcome == "rejected"
        results.append(result)
    if rejected and rejected == len(results):
        raise InvalidWebhookSignature()
    return results


async def _apply(
    session: AsyncSession,
    keyring: Keyring,
    gateway_name: str,
    notification: Notification,
    request: SignedRequest,
    target: _Target,
) -> WebhookResult:
    gateway = GATEWAYS[gateway_name]
    payment = target.payment
    if target.credential_id is None:
        log.warning("payments.webhook_no_credential", payment_id=str(payment.id))
        return WebhookResult(external_id=notification.external_id, outcome="not_configured")
    try:
        credential = await credentials.resolve_credential(session, keyring, target.credential_id)
    except NotFound:
        log.warning("payments.webhook_no_credential", payment_id=str(payment.id))
        return WebhookResult(external_id=notification.external_id, outcome="not_configured")
    try:
        gateway.verify(request, credential)
    except WebhookRejected as error:
        log.warning(
            "payments.webhook_rejected",
            gateway=gateway.name,
            payment_id=str(payment.id),
            reason=str(error),
        )
        return WebhookResult(external_id=notification.external_id, outcome="rejected")
    status = notification.status
    paid_at = None
    if status is None:
        try:
            state = await gateway.fetch_status(notification.external_id, credential)
        except (GatewayError, httpx.HTTPError) as error:
            log.warning(
                "payments.webhook_refetch_failed",
                gateway=gateway.name,
                payment_id=str(payment.id),
                error=type(error).__name__,
            )
            raise GatewayUnavailable(f"{gateway.label} could not be read back.") from None
        status, paid_at = state.status, state.paid_at
    notified = payments.Notified(gateway.name, notification.external_id, notification.event_id)
    verdict = await payments.move_status(session, payment, status, notified, paid_at=paid_at)
    outcome = _OUTCOME[verdict]
    log.info(
        "payments.webhook",
        gateway=gateway.name,
        payment_id=str(payment.id),
        status=status,
        outcome=outcome,
    )
    return WebhookResult(external_id=notification.external_id, outcome=outcome, status=status)
