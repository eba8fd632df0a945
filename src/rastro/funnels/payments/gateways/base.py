"""The small interface every payment gateway implements, and what they share.

A gateway knows one provider's API: how a charge is created (`create_charge`), how its
status is read back (`fetch_status`), which charges a webhook names (`notifications`,
without trusting the body) and how a webhook is authenticated (`verify`). The payments
service does the rest: idempotency, the status rule, the log, the purchase conversion.
Credentials come from the vault (`ResolvedCredential`); the base URL is the service's
default or the credential's `api_url`, so tests point it at fakes on 127.0.0.1.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

import httpx
import orjson

from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.http import HttpClient, RetryPolicy
from rastro.funnels.payments.statuses import PaymentStatus


@dataclass(frozen=True)
class Customer:
    """The buyer as the checkout sent it (plain text: never logged)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None  # E.164
    document: str | None = None  # CPF or CNPJ, digits only


@dataclass(frozen=True)
class ChargeRequest:
    payment_id: uuid.UUID
    amount: Decimal
    currency: str
    description: str
    # Our transaction id: 32 letters and digits (the payment id's hex), used as the PIX
    # API's txid and as the static BR Code's txid (its first 25 characters).
    txid: str
    expires_in: int  # seconds
    customer: Customer
    notification_url: str | None = None


@dataclass(frozen=True)
class Charge:
    """A charge as the gateway created it."""

    external_id: str
    status: PaymentStatus
    pix_copy_paste: str | None = None
    pix_url: str | None = None
    expires_at: datetime | None = None
    # What the payment keeps of the answer: ids, statuses, dates; no buyer data.
    response: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChargeState:
    """A charge's status read back from the gateway."""

    status: PaymentStatus
    paid_at: datetime | None = None
    response: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """One charge a webhook names. `status` is None when the gateway's body does not say
    it (or must not be trusted): the service then reads it back with `fetch_status`."""

    external_id: str
    status: PaymentStatus | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class SignedRequest:
    """The parts of the webhook's HTTP request its authentication covers."""

    method: str
    url: str
    headers: Mapping[str, str]  # case-insensitive (Starlette's Headers)
    query: Mapping[str, str]
    body: bytes


class GatewayError(Exception):
    """The gateway refused the call or could not be reached. `transient`: it may work
    later (timeouts, 429, 5xx). The message never carries a secret or buyer data."""

    def __init__(self, message: str, *, transient: bool = False, status: int | None = None):
        super().__init__(message)
        self.transient = transient
        self.status = status


class WebhookRejected(Exception):
    """The webhook failed the gateway's authentication (signature, token)."""


class MalformedWebhook(Exception):
    """The webhook's body is not what the gateway sends."""


def cents(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def json_body(request: SignedRequest) -> dict[str, Any]:
    try:
        data = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise MalformedWebhook("The body is not JSON.") from None
    if not isinstance(data, dict):
        raise MalformedWebhook("The body is not a JSON object.")
    return data


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an empty expectation never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def answer(response: httpx.Response, gateway: str) -> dict[str, Any]:
    """The JSON object of a 2xx answer, or a `GatewayError` (transient for 408/429/5xx)."""
    status = response.status_code
    if not 200 <= status < 300:
        transient = status >= 500 or status in (408, 429)
        raise GatewayError(f"{gateway} answered HTTP {status}.", transient=transient, status=status)
    try:
        data = response.json()
    except ValueError:
        raise GatewayError(
            f"{gateway} answered with a body that is not JSON.", transient=True
        ) from None
    if not isinstance(data, dict):
        raise GatewayError(f"{gateway} answered with a body that is not an object.", transient=True)
    return data


class Gateway:
    name: ClassVar[str]
    label: ClassVar[str]
    credential_service: ClassVar[str]
    # How the webhook is authenticated, shown to the person who sets it up.
    verification: ClassVar[str]
    # Calls that create a charge are retried in place only when the gateway deduplicates
    # them (an idempotency key, a PUT on our txid).
    create_attempts: ClassVar[int] = 1
    timeout: ClassVar[float] = 10.0

    def client(self, credential: ResolvedCredential, *, attempts: int = 2) -> HttpClient:
        if not credential.base_url:
            raise GatewayError(f"The {self.label} credential has no API URL.")
        return HttpClient(
            credential.base_url, timeout=self.timeout, retry=RetryPolicy(attempts=attempts)
        )

    async def create_charge(self, request: ChargeRequest, credential: ResolvedCredential) -> Charge:
        raise NotImplementedError

    async def fetch_status(self, external_id: str, credential: ResolvedCredential) -> ChargeState:
        raise NotImplementedError

    def notifications(self, request: SignedRequest) -> list[Notification]:
        """The charges a webhook names (read before it is verified: used only to find the
        payment, whose credential then verifies it). Raises `MalformedWebhook`."""
        raise NotImplementedError

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        """Raise `WebhookRejected` unless the request is authentic for this credential."""
        raise NotImplementedError
