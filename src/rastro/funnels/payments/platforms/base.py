"""The small interface every checkout platform (Hotmart, Kiwify…) implements.

A platform sells on its own checkout and tells us by webhook. Its connector knows how
the webhook is authenticated (`verify`) and how its body reads as orders in our terms
(`orders`): the order id, the status it moved to (None: an event that changes no
payment, e.g. an abandoned cart), the value, the buyer, and the tracking parameters
(`src`, `sck`, `utm_*`) the tracker put on the checkout link. The payments service turns
each order into a payment and its status into the same rule as the gateways'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from rastro.auth.service.credentials import ResolvedCredential
from rastro.funnels.payments.gateways.base import Customer, SignedRequest
from rastro.funnels.payments.statuses import PaymentStatus

TRACKING_KEYS = (
    "src",
    "sck",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
)


@dataclass(frozen=True)
class PlatformOrder:
    order_id: str
    status: PaymentStatus | None
    amount: Decimal
    currency: str
    product_name: str | None
    customer: Customer
    event_id: str | None = None
    payment_method: str = "pix"  # pix | boleto | credit_card | other
    tracking: dict[str, str] = field(default_factory=dict)
    paid_at: datetime | None = None


def text(value: Any, limit: int = 255) -> str | None:
    if value is None:
        return None
    found = str(value).strip()
    return found[:limit] or None


def money(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount > 0 else None


def millis(value: Any) -> datetime | None:
    if not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


def tracking_of(source: Any) -> dict[str, str]:
    if not isinstance(source, dict):
        return {}
    return {key: str(source[key])[:255] for key in TRACKING_KEYS if source.get(key)}


def payment_method(value: Any) -> str:
    name = str(value or "").lower()
    if "pix" in name:
        return "pix"
    if "billet" in name or "boleto" in name:
        return "boleto"
    if "card" in name or "credit" in name:
        return "credit_card"
    return "other"


class Platform:
    name: ClassVar[str]
    label: ClassVar[str]
    credential_service: ClassVar[str]
    verification: ClassVar[str]

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        """Raise `WebhookRejected` unless the request is authentic for this credential."""
        raise NotImplementedError

    def orders(self, request: SignedRequest) -> list[PlatformOrder]:
        """The orders the (verified) webhook reports. Raises `MalformedWebhook`."""
        raise NotImplementedError
