"""The small interface every checkout platform (Hotmart, Kiwify…) implements.

A platform sells on its own checkout and tells us by webhook. Its connector knows how
the webhook is authenticated (`verify`) and how its body reads as orders in our terms
(`orders`): the order id, the status it moved to (None: an event that changes no
payment, e.g. an abandoned cart), the value, the buyer, and the tracking parameters
(`src`, `sck`, `utm_*`) the tracker put on the checkout link. The payments service turns
each order into a payment and its status into the same rule as the gateways'.

Order bumps and upsells: a platform that sells them as orders of their own names the
main order in `parent_order_id`, and the service links the payments; a platform that
sends one order with several items has one payment for the order (its total, its
products' names).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

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
    # An order bump's or upsell's main order, at the same platform.
    parent_order_id: str | None = None


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
    if "billet" in name or "boleto" in name or "slip" in name:
        return "boleto"
    if "card" in name or "credit" in name:
        return "credit_card"
    return "other"


# Brazilian platforms write local times without an offset: Brasília (UTC-3, no DST since 2019).
BRASILIA = timezone(timedelta(hours=-3))


def local_time(value: Any) -> datetime | None:
    """An ISO time, or `YYYY-MM-DD HH:MM[:SS]` in Brasília time when it has no offset."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BRASILIA)


def phone_br(*parts: Any) -> str | None:
    """E.164 from a phone as Brazilian checkouts write it: with or without +55, the area
    code and number together or apart; None when it is not a phone."""
    digits = "".join(ch for part in parts for ch in str(part or "") if ch.isdigit())
    if digits.startswith("55") and len(digits) in (12, 13):
        return f"+{digits}"
    if len(digits) in (10, 11):
        return f"+55{digits}"
    return None


def digits_only(value: Any, sizes: tuple[int, ...] = (11, 14)) -> str | None:
    """A CPF or CNPJ as digits, or None."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    return digits if len(digits) in sizes else None


def names(values: Iterable[Any]) -> str | None:
    """Products' names as one text (an order with several items)."""
    return text(", ".join(str(v).strip() for v in values if v and str(v).strip()))


def query_tracking(url: Any) -> dict[str, str]:
    """The tracking parameters in a URL's query (a landing page the platform kept)."""
    if not isinstance(url, str) or "?" not in url:
        return {}
    return tracking_of(dict(parse_qsl(urlsplit(url).query)))


def hmac_sha256(key: str, body: bytes) -> bytes:
    return hmac.new(key.encode(), body, hashlib.sha256).digest()


def hmac_sha256_b64(key: str, body: bytes) -> str:
    return base64.b64encode(hmac_sha256(key, body)).decode()


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
