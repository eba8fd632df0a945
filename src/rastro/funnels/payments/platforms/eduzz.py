"""Eduzz's webhook (Developer Hub, github.com/eduzz/eduzz-webhook-docs): every delivery is
`{"id", "event", "sentDate", "data"}`; the sales events are MyEduzz's invoice events,
`myeduzz.invoice_*`, whose `data` is the invoice: `{"id", "status", "buyer": {"name",
"email", "phone", "cellphone"}, "price": {"value", "currency"}, "paymentMethod",
"utm": {"source", "campaign", "medium", "content"}, "items": [{"productId", "name",
"price"}]}`. An invoice's items (the product and its order bumps) are one order: one
payment for the invoice's total. Authentication: the `x-signature` header is the
HMAC-SHA256 of the raw body keyed with the signing key chosen for the webhook (hex; base64
of the same digest is accepted too).

Credential: `api_key` = that signing key (the "chave de acesso" of the configuration).
"""

from __future__ import annotations

import base64
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
    hmac_sha256,
    local_time,
    money,
    names,
    payment_method,
    phone_br,
    text,
)
from rastro.funnels.payments.statuses import PaymentStatus

EVENTS: dict[str, PaymentStatus | None] = {
    "myeduzz.invoice_opened": "pending",
    "myeduzz.invoice_waiting_payment": "pending",
    "myeduzz.invoice_paid": "paid",
    "myeduzz.invoice_refused": "failed",
    "myeduzz.invoice_canceled": "cancelled",
    "myeduzz.invoice_expired": "expired",
    "myeduzz.invoice_refunded": "refunded",
    # A refund asked for, an overdue or recovering invoice, a negotiation, a schedule:
    # no payment changes yet.
    "myeduzz.invoice_waiting_refund": None,
    "myeduzz.invoice_overdue": None,
    "myeduzz.invoice_recovering": None,
    "myeduzz.invoice_negotiated": None,
    "myeduzz.invoice_scheduled": None,
    "myeduzz.invoice_updated": None,
}
UTM = {f: f"utm_{f}" for f in ("source", "medium", "campaign", "content", "term")}


class EduzzPlatform(Platform):
    name: ClassVar[str] = "eduzz"
    label: ClassVar[str] = "Eduzz"
    credential_service: ClassVar[str] = "eduzz"
    verification: ClassVar[str] = (
        "x-signature header: hex HMAC-SHA256 of the body with the webhook's signing key"
    )

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        given = (request.headers.get("x-signature") or "").strip()
        digest = hmac_sha256(credential.api_key, request.body)
        # The docs write the signature as `hmac('sha256', key, body)` without naming its
        # encoding: hex (PHP's hash_hmac) is what it is; base64 of the same digest is
        # accepted too, which proves the same key.
        if not given or not (
            hmac.compare_digest(given.lower(), digest.hex())
            or hmac.compare_digest(given, base64.b64encode(digest).decode())
        ):
            raise WebhookRejected("bad signature")

    def orders(self, request: SignedRequest) -> list[PlatformOrder]:
        body = json_body(request)
        event = body.get("event")
        if not isinstance(event, str):
            raise MalformedWebhook("Not an Eduzz webhook.")
        if event not in EVENTS:
            return []  # the activation ping, courses, events, subscriptions
        data = body.get("data")
        if not isinstance(data, dict):
            raise MalformedWebhook("The invoice event has no data.")
        invoice_id = text(data.get("id"))
        price: dict[str, Any] = data.get("price") or {}
        amount = money(price.get("value"))
        if invoice_id is None or amount is None:
            raise MalformedWebhook("The invoice has no id or price.")
        buyer: dict[str, Any] = data.get("buyer") or {}
        utm: dict[str, Any] = data.get("utm") or {}
        items = [item for item in data.get("items") or [] if isinstance(item, dict)]
        return [
            PlatformOrder(
                order_id=invoice_id,
                status=EVENTS[event],
                amount=amount,
                currency=(text(price.get("currency"), 3) or "BRL").upper(),
                product_name=names(item.get("name") for item in items),
                customer=Customer(
                    name=text(buyer.get("name"), 200),
                    email=text(buyer.get("email")),
                    phone=phone_br(buyer.get("cellphone")) or phone_br(buyer.get("phone")),
                    document=None,
                ),
                event_id=text(body.get("id")),
                payment_method=payment_method(data.get("paymentMethod")),
                tracking={key: str(utm[f])[:255] for f, key in UTM.items() if utm.get(f)},
                paid_at=local_time(data.get("paidAt")) if event.endswith("_paid") else None,
            )
        ]
