"""Rastro's own signed orders webhook, for any checkout without a connector here.

Request: `POST /api/payments/platforms/orders/{credential_id}` with two headers

* `X-Rastro-Timestamp`: the current Unix time in seconds (at most 5 minutes off, so an
  old delivery cannot be replayed later);
* `X-Rastro-Signature`: `sha256=` + hex(HMAC-SHA256(secret, timestamp + "." + raw body)),
  the secret being the "orders" credential's key;

and a JSON body, one order or `{"orders": [...]}` (at most 100):

```json
{
  "order_id": "A-1001",                 // the checkout's id of the order (required)
  "status": "paid",                     // waiting_payment | paid | refunded | chargedback
                                        // | cancelled | failed | expired (required)
  "amount": "197.00",                   // total, > 0, at most 2 decimals (required)
  "currency": "BRL",                    // ISO 4217, BRL when absent
  "payment_method": "pix",              // pix | boleto | credit_card | other
  "product_name": "Curso",
  "parent_order_id": "A-1000",          // an order bump's or upsell's main order
  "event_id": "evt-123",                // the checkout's delivery id, kept in the log
  "paid_at": "2026-12-06T10:05:00-03:00",
  "customer": {"name": "…", "email": "…", "phone": "+5511…", "document": "…"},
  "tracking": {"src": "…", "sck": "…", "utm_source": "…", "utm_medium": "…",
               "utm_campaign": "…", "utm_content": "…", "utm_term": "…"}
}
```

Each order moves its payment by the same rule as every platform's (never backwards; the
same status twice is stored once).

Credential: `api_key` = the shared secret.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

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
    hmac_sha256,
    text,
    tracking_of,
)
from rastro.funnels.payments.statuses import PaymentStatus

MAX_AGE_SECONDS = 300
MAX_ORDERS = 100
STATUSES: dict[str, PaymentStatus] = {
    "waiting_payment": "pending",
    "pending": "pending",
    "paid": "paid",
    "refunded": "refunded",
    "chargedback": "chargedback",
    "cancelled": "cancelled",
    "failed": "failed",
    "expired": "expired",
}
_Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
_Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]


class OrderCustomer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: _Short | None = None
    email: _Short | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{7,14}$")] | None = None
    document: _Short | None = None


class OrderIn(BaseModel):
    """One order of the generic webhook (see the module's docstring)."""

    model_config = ConfigDict(extra="ignore")
    order_id: _Id
    status: Literal[
        "waiting_payment",
        "pending",
        "paid",
        "refunded",
        "chargedback",
        "cancelled",
        "failed",
        "expired",
    ]
    amount: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")] = "BRL"
    payment_method: Literal["pix", "boleto", "credit_card", "other"] = "other"
    product_name: _Short | None = None
    parent_order_id: _Id | None = None
    event_id: _Short | None = None
    paid_at: datetime | None = None
    customer: OrderCustomer = Field(default_factory=OrderCustomer)
    tracking: dict[str, Any] = Field(default_factory=dict)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Rastro-Signature` of a delivery."""
    return "sha256=" + hmac_sha256(secret, timestamp.encode() + b"." + body).hex()


def _order(order: OrderIn) -> PlatformOrder:
    paid_at = order.paid_at
    if paid_at is not None and paid_at.tzinfo is None:
        paid_at = paid_at.replace(tzinfo=UTC)
    return PlatformOrder(
        order_id=order.order_id,
        status=STATUSES[order.status],
        amount=order.amount,
        currency=order.currency.upper(),
        product_name=text(order.product_name),
        customer=Customer(
            name=text(order.customer.name, 200),
            email=text(order.customer.email),
            phone=order.customer.phone,
            document=digits_only(order.customer.document),
        ),
        event_id=text(order.event_id),
        payment_method=order.payment_method,
        tracking=tracking_of(order.tracking),
        paid_at=paid_at,
        parent_order_id=order.parent_order_id,
    )


class OrdersPlatform(Platform):
    name: ClassVar[str] = "orders"
    label: ClassVar[str] = "Orders webhook (any checkout)"
    credential_service: ClassVar[str] = "orders"
    verification: ClassVar[str] = (
        "X-Rastro-Signature: sha256=HMAC-SHA256(secret, timestamp.body), "
        "X-Rastro-Timestamp at most 5 minutes off"
    )

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        timestamp = (request.headers.get("x-rastro-timestamp") or "").strip()
        given = (request.headers.get("x-rastro-signature") or "").strip().lower()
        if not timestamp.isdigit() or not given.startswith("sha256="):
            raise WebhookRejected("missing signature or timestamp")
        if abs(datetime.now(UTC).timestamp() - int(timestamp)) > MAX_AGE_SECONDS:
            raise WebhookRejected("stale timestamp")
        if not hmac.compare_digest(given, signature(credential.api_key, timestamp, request.body)):
            raise WebhookRejected("bad signature")

    def orders(self, request: SignedRequest) -> list[PlatformOrder]:
        body = json_body(request)
        items = body.get("orders") if "orders" in body else [body]
        if not isinstance(items, list) or not 0 < len(items) <= MAX_ORDERS:
            raise MalformedWebhook(f"orders must be a list of 1 to {MAX_ORDERS} orders.")
        try:
            parsed = [OrderIn.model_validate(item) for item in items]
        except ValidationError as error:
            fields = sorted({".".join(map(str, e["loc"])) for e in error.errors()})
            raise MalformedWebhook(f"Invalid order fields: {', '.join(fields)}.") from None
        return [_order(order) for order in parsed]
