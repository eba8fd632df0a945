"""The small interface every push destination implements, and what they share.

A connector turns a `LeadPayload` into one or more HTTP calls through `Calls` (the core
HTTP client with a timeout and *no* internal retries: the job queue retries, so that
each attempt is one `integrations_log` row) and answers with a `PushResult`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx

from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.http import RETRY_STATUSES, HttpClient, RetryPolicy, retry_after_seconds

MAX_LOGGED_BODY = 20_000


@dataclass(frozen=True)
class LeadPayload:
    """What a destination receives about a lead (identity, pipeline, attribution snapshot)."""

    lead_id: uuid.UUID
    organization_id: uuid.UUID
    event: str
    delivery_id: str
    email: str | None
    name: str | None
    phone: str | None
    company: str | None
    message: str | None
    form_location: str | None
    lead_score: str | None
    stage: str
    stage_value: Decimal | None
    source: str | None
    medium: str | None
    campaign: str | None
    channel: str | None
    session_id: str | None
    visitor_id: str | None
    utm_tracking_id: uuid.UUID | None
    created_at: datetime | None

    @property
    def first_name(self) -> str | None:
        parts = (self.name or "").split(maxsplit=1)
        return parts[0] if parts else None

    @property
    def last_name(self) -> str | None:
        parts = (self.name or "").split(maxsplit=1)
        return parts[1] if len(parts) > 1 else None

    @property
    def email_domain(self) -> str | None:
        if not self.email or "@" not in self.email:
            return None
        return self.email.rsplit("@", 1)[1]

    def as_json(self) -> dict[str, Any]:
        """The lead as the generic webhook sends it (documented field names)."""
        return {
            "lead_id": str(self.lead_id),
            "email": self.email,
            "name": self.name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "phone": self.phone,
            "company": self.company,
            "message": self.message,
            "form_location": self.form_location,
            "lead_score": self.lead_score,
            "stage": self.stage,
            "stage_value": str(self.stage_value) if self.stage_value is not None else None,
            "attribution": {
                "source": self.source,
                "medium": self.medium,
                "campaign": self.campaign,
                "channel": self.channel,
                "session_id": self.session_id,
                "visitor_id": self.visitor_id,
                "utm_tracking_id": str(self.utm_tracking_id) if self.utm_tracking_id else None,
            },
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


@dataclass
class PushResult:
    """The outcome of one attempt, as the integrations log stores it."""

    ok: bool
    external_id: str | None = None
    http_status: int | None = None
    response: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    # A later attempt may succeed (timeout, network error, 408/429/5xx).
    transient: bool = False
    retry_after: float | None = None


class ConnectorError(Exception):
    """The destination cannot be called as configured (not worth retrying)."""


@dataclass
class Calls:
    """The HTTP calls of one attempt: one timeout each, no retries, every call recorded
    (method, URL without query secrets, payload) for the integrations log."""

    client: HttpClient
    recorded: list[dict[str, Any]] = field(default_factory=list)
    last_response: httpx.Response | None = None

    @classmethod
    def open(
        cls,
        base_url: str,
        *,
        timeout: float,
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Calls:
        """Calls bound to `base_url`; ConnectorError for headers HTTP cannot carry."""
        if any(not value.isascii() for value in (headers or {}).values()):
            # e.g. an API key pasted with a typographic quote: HTTP headers are ASCII
            raise ConnectorError(
                "The credential holds characters an HTTP header cannot carry (ASCII only)."
            )
        client = HttpClient(
            base_url,
            timeout=timeout,
            retry=RetryPolicy(attempts=1),
            headers=headers,
            transport=transport,
        )
        return cls(client)

    async def send(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        logged_payload: Any = None,
    ) -> httpx.Response:
        call: dict[str, Any] = {
            "method": method,
            "url": str(httpx.URL(self.client.base_url).join(url)),
            "params": params or {},
            "payload": logged_payload if logged_payload is not None else json,
        }
        self.recorded.append(call)
        response = await self.client.request(
            method, url, json=json, content=content, params=params, headers=headers
        )
        call["url"] = str(response.request.url.copy_with(query=None))
        call["status"] = response.status_code
        self.last_response = response
        return response

    async def aclose(self) -> None:
        await self.client.aclose()


def response_body(response: httpx.Response) -> dict[str, Any]:
    """The response as JSON for the log (non-JSON bodies are kept as truncated text)."""
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {"text": response.text[:MAX_LOGGED_BODY]}
    return body if isinstance(body, dict) else {"body": body}


def failure(response: httpx.Response, message: str) -> PushResult:
    """A non-2xx answer: transient when the status says so (408/425/429/5xx)."""
    return PushResult(
        ok=False,
        http_status=response.status_code,
        response=response_body(response),
        error=f"HTTP {response.status_code}: {message}"[:2000],
        transient=response.status_code in RETRY_STATUSES,
        retry_after=retry_after_seconds(response),
    )


def required_credential(credential: ResolvedCredential | None) -> ResolvedCredential:
    if credential is None:
        raise ConnectorError("The destination has no credential.")
    return credential


@dataclass(frozen=True)
class ErasureAnswer:
    """A destination's answer to a forwarded data-subject erasure."""

    status: str  # deleted | not_found | failed
    http_status: int | None = None
    detail: str | None = None


@dataclass(frozen=True)
class PushContext:
    """Everything a connector may use besides the lead."""

    credential: ResolvedCredential | None
    settings: dict[str, Any]
    timeout: float
    # The id this destination returned for the lead on an earlier successful push.
    previous_external_id: str | None = None
    previous_response: dict[str, Any] = field(default_factory=dict)
    transport: httpx.AsyncBaseTransport | None = None


class Connector(Protocol):
    """One destination type (Dispatch-style plugin): adding one touches no other file."""

    name: ClassVar[str]  # integration_name and the credential's service
    integration_type: ClassVar[str]  # crm | webhook

    def check_settings(self, settings: dict[str, Any]) -> list[dict[str, str]]:
        """Problems with a destination's settings as `{loc, message, type}` (empty if fine)."""
        ...

    async def push(self, lead: LeadPayload, context: PushContext, calls: Calls) -> PushResult:
        """Send the lead; raise httpx errors for timeouts and network failures."""
        ...

    def base_url(self, context: PushContext) -> str:
        """Where `calls` is bound (the credential's api_url overrides the default)."""
        ...

    def headers(self, context: PushContext) -> dict[str, str]:
        """Authentication headers sent with every call (never logged)."""
        ...


@runtime_checkable
class ErasingConnector(Protocol):
    """A destination that can delete a person on its side (a data-subject erasure)."""

    async def erase(self, email: str, calls: Calls) -> ErasureAnswer:
        """Delete the person with this e-mail; raise httpx errors for network failures."""
        ...


def problem(name: str, message: str, kind: str = "value_error") -> dict[str, str]:
    return {"loc": f"body.settings.{name}", "message": message, "type": kind}


def check_optional_int(settings: dict[str, Any], name: str) -> list[dict[str, str]]:
    value = settings.get(name)
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return []
    return [problem(name, "must be a positive integer")]


def check_optional_str(
    settings: dict[str, Any], name: str, max_length: int = 255
) -> list[dict[str, str]]:
    value = settings.get(name)
    if value is None or (isinstance(value, str) and 0 < len(value) <= max_length):
        return []
    return [problem(name, f"must be a text of 1 to {max_length} characters")]
