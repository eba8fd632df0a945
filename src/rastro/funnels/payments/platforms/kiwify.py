"""Kiwify's order webhook: `{"order_id", "order_status", "webhook_event_type",
"payment_method", "Product": {"product_name"}, "Customer": {"full_name", "email",
"mobile", "CPF"}, "Commissions": {"charge_amount" (cents), "currency"},
"TrackingParameters": {"src", "sck", "utm_*"…}, "approved_date"}`. Authentication: the
`signature` query parameter is the hex HMAC-SHA1 of the raw body keyed with the
webhook's token (the token itself is never sent).

Credential: `api_key` = the webhook token.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal
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
    money,
    payment_method,
    text,
    tracking_of,
)
from rastro.funnels.payments.statuses import PaymentStatus

STATUSES: dict[str, PaymentStatus | None] = {
    "waiting_payment": "pending",
    "paid": "paid",
    "approved": "paid",
    "refused": "failed",
    "refunded": "refunded",
    "chargedback": "chargedback",
    "abandoned": None,
}


def signature(body: bytes, token: str) -> str:
    return hmac.new(token.encode(), body, hashlib.sha1).hexdigest()


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class KiwifyPlatform(Platform):
    name: ClassVar[str] = "kiwify"
    label: ClassVar[str] = "Kiwify"
    credential_service: ClassVar[str] = "kiwify"
    verification: ClassVar[str] = (
        "signature query parameter: HMAC-SHA1 of the body with the webhook token (credential key)"
    )

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        given = request.query.get("signature") or ""
        expected = signature(request.body, credential.api_key)
        if not given or not hmac.compare_digest(given.lower(), expected):
            raise WebhookRejected("bad signature")

    def orders(self, request: SignedRequest) -> list[PlatformOrder]:
        body = json_body(request)
        order = body.get("order") if isinstance(body.get("order"), dict) else body
        assert isinstance(order, dict)
        order_id = text(order.get("order_id"))
        status_name = order.get("order_status")
        if order_id is None or not isinstance(status_name, str):
            raise MalformedWebhook("Not a Kiwify order webhook.")
        if status_name not in STATUSES:
            return []
        commissions: dict[str, Any] = order.get("Commissions") or {}
        cents = money(commissions.get("charge_amount"))
        if cents is None:
            raise MalformedWebhook("The order has no charge amount.")
        customer: dict[str, Any] = order.get("Customer") or {}
        mobile = "".join(ch for ch in str(customer.get("mobile") or "") if ch.isdigit())
        document = text(customer.get("CPF") or customer.get("cnpj"), 14)
        return [
            PlatformOrder(
                order_id=order_id,
                status=STATUSES[status_name],
                amount=(cents / 100).quantize(Decimal("0.01")),
                currency=(text(commissions.get("currency"), 3) or "BRL").upper(),
                product_name=text((order.get("Product") or {}).get("product_name")),
                customer=Customer(
                    name=text(customer.get("full_name"), 200),
                    email=text(customer.get("email")),
                    # Kiwify writes Brazilian mobiles with or without the country code.
                    phone=(
                        f"+{mobile}"
                        if mobile.startswith("55") and len(mobile) >= 12
                        else f"+55{mobile}"
                        if mobile
                        else None
                    ),
                    document=document if document and document.isdigit() else None,
                ),
                event_id=text(order.get("webhook_event_type")),
                payment_method=payment_method(order.get("payment_method")),
                tracking=tracking_of(order.get("TrackingParameters")),
                paid_at=_time(order.get("approved_date")),
            )
        ]
