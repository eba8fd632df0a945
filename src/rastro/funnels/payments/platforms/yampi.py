"""Yampi's webhooks (docs.yampi.com.br, "Webhooks"): `{"event", "time", "merchant":
{"id", "alias"}, "resource"}`; the order events (`order.created`, `order.paid`,
`order.status.updated`) carry the order with all its includes: `{"id", "number",
"value_total", "status": {"data": {"alias"}}, "utm_source", "utm_medium",
"utm_campaign", "utm_content", "utm_term", "payments": [{"alias"}], "customer":
{"data": {"name", "email", "cpf", "cnpj", "phone": {"full_number"}}}, "items":
{"data": [{"sku": {"data": {"title"}}}]}}`. The order's items are one payment
(`value_total`). Statuses by alias: `waiting_payment`, `paid`, `cancelled`, `refused`;
other aliases (handling, invoiced, shipped…) change no payment. A cancellation after
payment is not a refund the docs name, so the status rule ignores it (paid stays paid).

Authentication: `X-Yampi-Hmac-SHA256` is the base64 HMAC-SHA256 of the raw body keyed
with the webhook's secret.

Credential: `api_key` = the webhook's secret key.
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
    digits_only,
    hmac_sha256_b64,
    money,
    names,
    payment_method,
    phone_br,
    text,
    tracking_of,
)
from rastro.funnels.payments.statuses import PaymentStatus

ORDER_EVENTS = frozenset({"order.created", "order.paid", "order.status.updated"})
STATUSES: dict[str, PaymentStatus] = {
    "waiting_payment": "pending",
    "paid": "paid",
    "cancelled": "cancelled",
    "refused": "failed",
}


def _data(value: Any) -> dict[str, Any]:
    """Yampi wraps every include in `{"data": ...}`."""
    inner = value.get("data") if isinstance(value, dict) else None
    return inner if isinstance(inner, dict) else {}


def _customer(order: dict[str, Any]) -> Customer:
    buyer = _data(order.get("customer"))
    phone = buyer.get("phone")
    phone = phone if isinstance(phone, dict) else {}
    full_name = buyer.get("name") or buyer.get("generic_name")
    return Customer(
        name=text(full_name, 200),
        email=text(buyer.get("email")),
        phone=phone_br(phone.get("full_number")),
        document=digits_only(buyer.get("cpf") or buyer.get("cnpj")),
    )


class YampiPlatform(Platform):
    name: ClassVar[str] = "yampi"
    label: ClassVar[str] = "Yampi"
    credential_service: ClassVar[str] = "yampi"
    verification: ClassVar[str] = (
        "X-Yampi-Hmac-SHA256 header: base64 HMAC-SHA256 of the body with the webhook's secret"
    )

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        given = (request.headers.get("x-yampi-hmac-sha256") or "").strip()
        expected = hmac_sha256_b64(credential.api_key, request.body)
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRejected("bad signature")

    def orders(self, request: SignedRequest) -> list[PlatformOrder]:
        body = json_body(request)
        event = body.get("event")
        order = body.get("resource")
        if not isinstance(event, str) or not isinstance(order, dict):
            raise MalformedWebhook("Not a Yampi webhook.")
        if event not in ORDER_EVENTS:
            # Carts, customers, products, invoices, stock; a refused transaction reaches
            # us as its order's status update (alias `refused`).
            return []
        status = STATUSES.get(str(_data(order.get("status")).get("alias")))
        order_id = text(order.get("id"))
        amount = money(order.get("value_total"))
        if order_id is None or amount is None:
            raise MalformedWebhook("The order has no id or total.")
        items = order.get("items")
        rows = items.get("data") if isinstance(items, dict) else None
        products = [
            _data(item.get("sku")).get("title") or item.get("name")
            for item in rows or []
            if isinstance(item, dict)
        ]
        method = next(
            (p.get("alias") for p in order.get("payments") or [] if isinstance(p, dict)), None
        )
        return [
            PlatformOrder(
                order_id=order_id,
                status=status,
                amount=amount,
                currency="BRL",
                product_name=names(products),
                customer=_customer(order),
                event_id=text(f"{event}:{body.get('time')}"),
                payment_method=payment_method(method),
                tracking=tracking_of(order),
            )
        ]
