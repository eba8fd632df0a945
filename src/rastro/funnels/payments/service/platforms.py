"""Checkout platforms' sale webhooks: `POST /api/payments/platforms/{platform}/{credential_id}`.

The URL names the organization's platform credential (its id is the endpoint; the
credential's secret authenticates the request as the platform documents it). Each order
the webhook reports becomes a payment of that platform (`gateway` = the platform's name,
`external_id` = its order id), created on first sight with the buyer and the checkout
link's tracking parameters, and moves by the same status rule as a gateway's charge —
so a refund or chargeback reverses the sale's conversion, a replay changes nothing, and
a status behind the current one is ignored. An order bump or upsell the platform sells as
an order of its own (`PlatformOrder.parent_order_id`) is its own payment, linked to the
main order's (`parent_payment_id`), with the main order's tracking when it has none.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.db import SYSTEM, Scope, scoped, set_scope
from rastro.core.errors import NotFound
from rastro.core.ids import uuid7
from rastro.core.security import Keyring
from rastro.funnels.payments.errors import (
    InvalidWebhookSignature,
    MalformedWebhookBody,
    UnknownWebhookEndpoint,
)
from rastro.funnels.payments.gateways.base import MalformedWebhook, SignedRequest, WebhookRejected
from rastro.funnels.payments.models import Payment, PaymentWebhook, customer_columns
from rastro.funnels.payments.platforms import PLATFORMS
from rastro.funnels.payments.platforms.base import PlatformOrder
from rastro.funnels.payments.schemas import WebhookResult
from rastro.funnels.payments.service import payments
from rastro.funnels.payments.statuses import Transition

log = structlog.get_logger(__name__)
_OUTCOME = {Transition.APPLY: "applied", Transition.SAME: "same", Transition.BACKWARDS: "backwards"}


async def receive_platform_webhook(
    session: AsyncSession,
    keyring: Keyring,
    *,
    platform_name: str,
    credential_id: uuid.UUID,
    request: SignedRequest,
) -> list[WebhookResult]:
    """Apply a checkout platform's webhook (see the module's docstring). 404 for an
    unknown platform or endpoint, 401 when authentication fails, 400 for a body the
    platform does not send."""
    platform = PLATFORMS.get(platform_name)
    if platform is None:
        raise UnknownWebhookEndpoint()
    async with scoped(session, SYSTEM):
        try:
            stored = await credentials.get_credential(session, credential_id)
        except NotFound:
            raise UnknownWebhookEndpoint() from None
        organization_id = stored.organization_id
        if stored.service != platform.credential_service or not stored.is_active:
            raise UnknownWebhookEndpoint()
    await set_scope(session, Scope.organization(organization_id))
    credential = await credentials.resolve_credential(session, keyring, credential_id)
    try:
        platform.verify(request, credential)
    except WebhookRejected as error:
        log.warning(
            "payments.platform_webhook_rejected",
            platform=platform.name,
            credential_id=str(credential_id),
            reason=str(error),
        )
        raise InvalidWebhookSignature() from None
    try:
        orders = platform.orders(request)
    except MalformedWebhook as error:
        raise MalformedWebhookBody(str(error)) from None
    return [await _apply(session, platform.name, credential_id, order) for order in orders]


async def _payment_for(
    session: AsyncSession, platform: str, credential_id: uuid.UUID, order: PlatformOrder
) -> Payment:
    statement = select(Payment).where(
        Payment.gateway == platform, Payment.external_id == order.order_id
    )
    payment = await session.scalar(statement)
    if payment is not None:
        return payment
    customer = {k: v for k, v in vars(order.customer).items() if v is not None}
    tracking = order.tracking
    parent: Payment | None = None
    if order.parent_order_id and order.parent_order_id != order.order_id:
        parent = await session.scalar(
            select(Payment).where(
                Payment.gateway == platform, Payment.external_id == order.parent_order_id
            )
        )
        # A bump or upsell bought in the same checkout came from the same click.
        if parent is not None and not tracking:
            tracking = dict(parent.tracking or {})
    # ON CONFLICT: two deliveries of a new order at once store one payment.
    await session.execute(
        insert(Payment)
        .values(
            id=uuid7(),
            organization_id=payments.organization_of(session),
            gateway=platform,
            credential_id=credential_id,
            external_id=order.order_id,
            parent_payment_id=parent.id if parent else None,
            session_id=parent.session_id if parent else None,
            visitor_id=parent.visitor_id if parent else None,
            funnel_id=parent.funnel_id if parent else None,
            amount=order.amount,
            currency=order.currency,
            status="pending",
            payment_method=order.payment_method,
            product_name=order.product_name,
            **customer_columns(customer),
            tracking=tracking,
            status_changed_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(
            index_elements=["gateway", "external_id"],
            index_where=Payment.external_id.is_not(None),
        )
    )
    payment = await session.scalar(statement)
    assert payment is not None
    return payment


async def _apply(
    session: AsyncSession, platform: str, credential_id: uuid.UUID, order: PlatformOrder
) -> WebhookResult:
    if order.status is None:
        # An abandoned cart, a refund asked for: no payment is made or moved.
        return WebhookResult(external_id=order.order_id, outcome="ignored", status=None)
    payment = await _payment_for(session, platform, credential_id, order)
    verdict = await payments.apply_status(session, payment, order.status, paid_at=order.paid_at)
    outcome = _OUTCOME[verdict]
    await session.execute(
        insert(PaymentWebhook)
        .values(
            organization_id=payment.organization_id,
            payment_id=payment.id,
            gateway=platform,
            external_id=order.order_id,
            event_id=order.event_id,
            status=order.status,
            outcome=outcome,
        )
        .on_conflict_do_nothing(index_elements=["gateway", "external_id", "status"])
    )
    log.info(
        "payments.platform_webhook",
        platform=platform,
        payment_id=str(payment.id),
        status=order.status,
        outcome=outcome,
    )
    return WebhookResult(external_id=order.order_id, outcome=outcome, status=order.status)
