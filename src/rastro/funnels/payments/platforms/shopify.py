"""Shopify's order webhooks (shopify.dev, "Verify webhook deliveries" and the Order
resource). The topic is the `X-Shopify-Topic` header; the body of `orders/create`,
`orders/paid`, `orders/updated` and `orders/cancelled` is the order: `{"id", "name",
"email", "phone", "total_price", "currency", "financial_status", "cancelled_at",
"processed_at", "landing_site", "note_attributes": [{"name", "value"}],
"payment_gateway_names", "customer": {"first_name", "last_name", "email", "phone"},
"line_items": [{"title"}]}`. `financial_status` is the payment's state (pending,
authorized, partially_paid, paid, partially_refunded, refunded, voided); a full refund
reaches us as the order's update to `refunded`. `disputes/create` and `disputes/update`
carry a dispute (`{"order_id", "type", "status", "amount", "currency"}`): a chargeback
the shop lost is the order's chargeback.

The order's line items are one payment (the order's total). Tracking: the UTMs, `src` and
`sck` of the order's `landing_site` (the first page's URL Shopify kept) and its cart
attributes (`note_attributes`, where storefront scripts put them).

Authentication: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body keyed
with the app's client secret. `X-Shopify-Webhook-Id` is the delivery's id.

Credential: `api_key` = the app's client secret (API secret key).
"""

from __future__ import annotations

import hmac
from typing import Any, ClassVar

from rastro.auth.service.credentials import ResolvedCredential
from rastro.funnels.payments.gateways.base import (
    Customer,
    MalformedWebhook,
    SignedRequest,
    WebhookRejected,
    json_body,
)
from rastro.funnels.payments.platforms.base import (
    Platform,
    PlatformOrder,
    hmac_sha256_b64,
    local_time,
    money,
    names,
    payment_method,
    query_tracking,
    text,
    tracking_of,
)
from rastro.funnels.payments.statuses import PaymentStatus

ORDER_TOPICS = frozenset({"orders/create", "orders/paid", "orders/updated", "orders/cancelled"})
DISPUTE_TOPICS = frozenset({"disputes/create", "disputes/update"})
FINANCIAL: dict[str, PaymentStatus | None] = {
    "pending": "pending",
    "authorized": "pending",  # a card authorized, not captured yet
    "partially_paid": "pending",
    "paid": "paid",
    "refunded": "refunded",
    "voided": "cancelled",
    "partially_refunded": None,  # the sale stands
}


def _customer(order: dict[str, Any]) -> Customer:
    buyer: dict[str, Any] = order.get("customer") or {}
    billing: dict[str, Any] = order.get("billing_address") or {}
    full_name = " ".join(
        part for part in (text(buyer.get("first_name")), text(buyer.get("last_name"))) if part
    )
    phone = text(order.get("phone") or buyer.get("phone") or billing.get("phone"), 32)
    return Customer(
        name=text(full_name or billing.get("name"), 200),
        email=text(order.get("email") or order.get("contact_email") or buyer.get("email")),
        phone=phone if phone and phone.startswith("+") else None,
        document=None,
    )


def _tracking(order: dict[str, Any]) -> dict[str, str]:
    attributes = {
        str(item.get("name")): item.get("value")
        for item in order.get("note_attributes") or []
        if isinstance(item, dict)
    }
    return {**query_tracking(order.get("landing_site")), **tracking_of(attributes)}


class ShopifyPlatform(Platform):
    name: ClassVar[str] = "shopify"
    label: ClassVar[str] = "Shopify"
    credential_service: ClassVar[str] = "shopify"
    verification: ClassVar[str] = (
        "X-Shopify-Hmac-Sha256 header: base64 HMAC-SHA256 of the body with the app's client secret"
    )

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        given = (request.headers.get("x-shopify-hmac-sha256") or "").strip()
        expected = hmac_sha256_b64(credential.api_key, request.body)
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRejected("bad signature")

    def orders(self, request: SignedRequest) -> list[PlatformOrder]:
        topic = (request.headers.get("x-shopify-topic") or "").strip().lower()
        body = json_body(request)
        event_id = text(request.headers.get("x-shopify-webhook-id"))
        if topic in DISPUTE_TOPICS:
            return self._dispute(body, event_id)
        if topic not in ORDER_TOPICS:
            return []  # products, customers, refunds/create (the order's update says it)
        order_id = text(body.get("id"))
        amount = money(body.get("total_price"))
        financial = body.get("financial_status")
        if order_id is None or amount is None or not isinstance(financial, str):
            raise MalformedWebhook("Not a Shopify order.")
        status = FINANCIAL.get(financial)
        if topic == "orders/cancelled" and status == "pending":
            status = "cancelled"  # cancelled before it was paid
        items = [item for item in body.get("line_items") or [] if isinstance(item, dict)]
        return [
            PlatformOrder(
                order_id=order_id,
                status=status,
                amount=amount,
                currency=(text(body.get("currency"), 3) or "BRL").upper(),
                product_name=names(item.get("title") for item in items),
                customer=_customer(body),
                event_id=event_id,
                payment_method=payment_method(" ".join(body.get("payment_gateway_names") or [])),
                tracking=_tracking(body),
                paid_at=local_time(body.get("processed_at")) if status == "paid" else None,
            )
        ]

    def _dispute(self, body: dict[str, Any], event_id: str | None) -> list[PlatformOrder]:
        order_id = text(body.get("order_id"))
        amount = money(body.get("amount"))
        if order_id is None or amount is None:
            raise MalformedWebhook("Not a Shopify dispute.")
        lost_chargeback = body.get("type") == "chargeback" and body.get("status") == "lost"
        return [
            PlatformOrder(
                order_id=order_id,
                status="chargedback" if lost_chargeback else None,
                amount=amount,
                currency=(text(body.get("currency"), 3) or "BRL").upper(),
                product_name=None,
                customer=Customer(),
                event_id=event_id,
                payment_method="credit_card",
            )
        ]
