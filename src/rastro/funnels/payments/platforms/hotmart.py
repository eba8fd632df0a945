"""Hotmart's purchase webhook, version 2.0.0: `{"id", "creation_date", "event",
"version", "data": {"product", "buyer", "purchase": {"transaction", "status", "price":
{"value", "currency_value"}, "payment": {"type"}, "approved_date", "origin": {"src",
"sck", "xcod"}, "order_bump": {"is_order_bump", "parent_purchase_transaction"}}}}`. An
order bump is a purchase of its own naming the main purchase's transaction.
Authentication is the account's shared `hottok`, sent in the `X-HOTMART-HOTTOK` header
(no HMAC, no timestamp: the status rule and the once-per-status log are the replay
protection).

Credential: `api_key` = the hottok.
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
    millis,
    money,
    payment_method,
    text,
    tracking_of,
)
from rastro.funnels.payments.statuses import PaymentStatus

EVENTS: dict[str, PaymentStatus | None] = {
    "PURCHASE_BILLET_PRINTED": "pending",
    "PURCHASE_APPROVED": "paid",
    "PURCHASE_COMPLETE": "paid",
    "PURCHASE_CANCELED": "cancelled",
    "PURCHASE_EXPIRED": "expired",
    "PURCHASE_REFUNDED": "refunded",
    "PURCHASE_CHARGEBACK": "chargedback",
    # A refund asked for (not yet given), a late subscription charge, an abandoned cart:
    # no payment changes.
    "PURCHASE_PROTEST": None,
    "PURCHASE_DELAYED": None,
    "PURCHASE_OUT_OF_SHOPPING_CART": None,
}


class HotmartPlatform(Platform):
    name: ClassVar[str] = "hotmart"
    label: ClassVar[str] = "Hotmart"
    credential_service: ClassVar[str] = "hotmart"
    verification: ClassVar[str] = "X-HOTMART-HOTTOK header equal to the hottok (credential key)"

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        if not same_secret(request.headers.get("x-hotmart-hottok"), credential.api_key):
            raise WebhookRejected("bad hottok")

    def orders(self, request: SignedRequest) -> list[PlatformOrder]:
        body = json_body(request)
        event = body.get("event")
        data = body.get("data")
        if not isinstance(event, str) or not isinstance(data, dict):
            raise MalformedWebhook("Not a Hotmart 2.0.0 webhook.")
        if event not in EVENTS:
            return []  # subscription and club events
        purchase: dict[str, Any] = data.get("purchase") or {}
        transaction = text(purchase.get("transaction"))
        price = purchase.get("price") or {}
        amount = money(price.get("value"))
        if transaction is None or amount is None:
            raise MalformedWebhook("The purchase has no transaction or price.")
        buyer: dict[str, Any] = data.get("buyer") or {}
        phone = text(buyer.get("checkout_phone"), 32)
        bump: dict[str, Any] = purchase.get("order_bump") or {}
        return [
            PlatformOrder(
                order_id=transaction,
                status=EVENTS[event],
                amount=amount,
                currency=(text(price.get("currency_value"), 3) or "BRL").upper(),
                product_name=text((data.get("product") or {}).get("name")),
                customer=Customer(
                    name=text(buyer.get("name"), 200),
                    email=text(buyer.get("email")),
                    phone=phone if phone and phone.startswith("+") else None,
                    document=text(buyer.get("document"), 14),
                ),
                event_id=text(body.get("id")),
                payment_method=payment_method((purchase.get("payment") or {}).get("type")),
                tracking=tracking_of(purchase.get("origin")),
                paid_at=millis(purchase.get("approved_date")),
                parent_order_id=(
                    text(bump.get("parent_purchase_transaction"))
                    if bump.get("is_order_bump") is True
                    else None
                ),
            )
        ]
