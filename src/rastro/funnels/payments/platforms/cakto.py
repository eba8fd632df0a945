"""Cakto's webhook (docs.cakto.com.br, "Guia de Webhooks"): every delivery is `{"secret",
"event", "data"}`; an order event's `data` is the order: `{"id", "refId", "status",
"amount", "baseAmount", "paymentMethod", "paidAt", "offer_type", "parent_order",
"product": {"name"}, "customer": {"name", "email", "phone", "docNumber"}, "sck",
"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"}` (the panel's
"Webhook V2" sends `data` as a list of such orders). An order bump or upsell is an order
of its own whose `parent_order` names the main order.

Statuses: the docs show `waiting_payment` and `paid`; an order in any other status
changes no payment here (answered 2xx, logged) until Cakto documents the rest.
`checkout_abandonment` carries no payment and is ignored.

Authentication: the body's `secret` is the webhook's secret (no signature, no timestamp:
the status rule and the once-per-status log are the replay protection).

Credential: `api_key` = that secret.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rastro.auth.service.credentials import ResolvedCredential
from rastro.funnels.payments.gateways.base import (
    Customer,
    MalformedWebhook,
    SignedRequest,
    WebhookRejected,
    json_body,
    same_secret,
)
from rastro.funnels.payments.platforms.base import (
    Platform,
    PlatformOrder,
    digits_only,
    local_time,
    money,
    payment_method,
    phone_br,
    text,
    tracking_of,
)
from rastro.funnels.payments.statuses import PaymentStatus

STATUSES: dict[str, PaymentStatus] = {"waiting_payment": "pending", "paid": "paid"}
NOT_ORDERS = frozenset({"checkout_abandonment", "initiate_checkout"})


def _order(data: dict[str, Any], event_id: str | None) -> PlatformOrder:
    order_id = text(data.get("id"))
    amount = money(data.get("amount")) or money(data.get("baseAmount"))
    if order_id is None or amount is None:
        raise MalformedWebhook("The order has no id or amount.")
    customer: dict[str, Any] = data.get("customer") or {}
    status = STATUSES.get(str(data.get("status")))
    return PlatformOrder(
        order_id=order_id,
        status=status,
        amount=amount,
        currency="BRL",
        product_name=text((data.get("product") or {}).get("name")),
        customer=Customer(
            name=text(customer.get("name"), 200),
            email=text(customer.get("email")),
            phone=phone_br(customer.get("phone")),
            document=digits_only(customer.get("docNumber")),
        ),
        event_id=event_id,
        payment_method=payment_method(data.get("paymentMethod")),
        tracking=tracking_of(data),
        paid_at=local_time(data.get("paidAt")) if status == "paid" else None,
        parent_order_id=text(data.get("parent_order")),
    )


class CaktoPlatform(Platform):
    name: ClassVar[str] = "cakto"
    label: ClassVar[str] = "Cakto"
    credential_service: ClassVar[str] = "cakto"
    verification: ClassVar[str] = "secret field of the body equal to the webhook's secret"

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        try:
            secret = json_body(request).get("secret")
        except MalformedWebhook:
            secret = None
        if not same_secret(secret if isinstance(secret, str) else None, credential.api_key):
            raise WebhookRejected("bad secret")

    def orders(self, request: SignedRequest) -> list[PlatformOrder]:
        body = json_body(request)
        event = body.get("event")
        data = body.get("data")
        if not isinstance(event, str) or not isinstance(data, dict | list):
            raise MalformedWebhook("Not a Cakto webhook.")
        if event in NOT_ORDERS:
            return []
        rows = data if isinstance(data, list) else [data]
        return [_order(row, text(event)) for row in rows if isinstance(row, dict)]
