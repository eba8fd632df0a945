"""The small interface every ad-platform connector implements.

A connector knows one platform's rules: what it can match a conversion on, the
platform's own age limit, how one conversion becomes one event of its request (already
normalized and hashed), how many events fit in a request, and how to send a batch and
read the answer. The sync jobs (`rastro.conversions.service.sync`) do the rest: claiming,
batching, retries, logging, the circuit breaker.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from rastro.auth.service.credentials import ResolvedCredential
from rastro.conversions.service import platform_oauth
from rastro.conversions.service.platform_oauth import TOKENS  # noqa: F401  (re-exported)
from rastro.core.http import HttpClient
from rastro.core.oauth import RefreshGrant


@dataclass(frozen=True)
class ConversionRecord:
    """What a connector sees of one conversion and its lead (plain values, no ORM)."""

    conversion_id: uuid.UUID
    order_id: str
    conversion_name: str
    conversion_date: datetime
    value: Decimal | None
    currency: str
    clicked_at: datetime | None
    click_ids: dict[str, str]  # gclid, gbraid, wbraid, fbclid, fbc, fbp, ttclid, li_fat_id
    email: str | None  # normalized as the CRM stores it: trimmed, lower-cased
    phone: str | None  # E.164 with `+`
    name: str | None
    person_id: str  # a stable id of the person (the CRM contact id)
    page_url: str | None
    # The organization's mapping of this conversion on this platform (event or action
    # name, action source, ...); empty when not configured.
    action: dict[str, Any] = field(default_factory=dict)
    # The sale's state for order postbacks: paid | refunded | chargedback, and since when.
    order_status: str = "paid"
    refunded_at: datetime | None = None
    # The lead's UTMs (utm_source, utm_medium, utm_campaign, utm_content, utm_term, src,
    # sck), for platforms that take them in plain text (UTMify).
    tracking: dict[str, str] = field(default_factory=dict)
    # The person's consent (analytics, ad_user_data, ad_personalization) when the site asks
    # for it; None: not asked. A refused `ad_user_data` never reaches a connector.
    consent: dict[str, bool] | None = None


@dataclass
class BatchOutcome:
    """The answer to one request."""

    ok: bool
    http_status: int | None = None
    response: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    # A later attempt may succeed: timeout, network error, 429/5xx, the platform's
    # transient error codes.
    transient: bool = False
    retry_after: float | None = None
    # For platforms that report failures per event: index in the batch → reason (these
    # events failed; the others of an `ok` batch were accepted).
    row_errors: dict[int, str] = field(default_factory=dict)
    # Events the platform asks to send again later (index → (seconds to wait, reason)),
    # e.g. Google's TOO_RECENT_EVENT: they stay pending, neither sent nor failed.
    row_retry_after: dict[int, tuple[float, str]] = field(default_factory=dict)
    # The platform refused the credential itself (invalid or revoked token, no permission
    # on the account): nothing goes through until it is reconnected.
    credential_rejected: bool = False


class InvalidConversion(Exception):
    """This conversion cannot become a valid event for the platform (not retried)."""


class ConnectorError(Exception):
    """The platform account cannot be called as configured (not retried)."""


class Connector:
    platform: ClassVar[str]
    credential_service: ClassVar[str]  # the vault service of the platform's credentials
    batch_limit: ClassVar[int]
    # Platforms authorized by an OAuth bearer token: the token endpoint used when the
    # credential's `oauth_token_uri` setting is empty. None: no OAuth refresh.
    oauth_token_uri: ClassVar[str | None] = None
    # Order postbacks (UTMify) report refunds and chargebacks: a conversion's order status
    # change queues their delivery again. Ad platforms only take the sale.
    reports_order_status: ClassVar[bool] = False

    def unmatchable(self, record: ConversionRecord) -> str | None:
        """Why the platform could not match this conversion to a person or a click
        (None when it can)."""
        raise NotImplementedError

    def window_click_time(self, record: ConversionRecord) -> datetime | None:
        """The click of this platform the attribution window counts from, if any."""
        raise NotImplementedError

    def too_old(self, record: ConversionRecord, now: datetime) -> str | None:
        """Why the platform would refuse the conversion for its age now (None if not)."""
        raise NotImplementedError

    def not_before(self, record: ConversionRecord) -> datetime | None:
        """The earliest time the platform accepts this conversion (e.g. Google's minimum
        click age); before it the conversion waits, pending. None: no such limit."""
        return None

    def event(self, record: ConversionRecord) -> dict[str, Any]:
        """The conversion as one event of the platform's request (hashed where required).
        Raises `InvalidConversion`."""
        raise NotImplementedError

    async def send(
        self, events: list[dict[str, Any]], credential: ResolvedCredential, http: HttpClient
    ) -> BatchOutcome:
        """Send one batch (at most `batch_limit` events). Timeouts and network errors
        propagate (the caller counts them as transient); raises `ConnectorError` when the
        credential lacks what the platform needs, `OAuthError` when an OAuth credential's
        access token cannot be refreshed."""
        raise NotImplementedError

    # --- OAuth ------------------------------------------------------------------------------

    def oauth_grant(self, credential: ResolvedCredential) -> RefreshGrant | None:
        """The refresh-token grant of an OAuth credential: one whose settings have
        `oauth_client_id` (and optionally `oauth_token_uri`); its `api_key` is then the
        refresh token and its `api_secret` the client secret. None for a credential whose
        `api_key` is the access token itself."""
        try:
            return platform_oauth.refresh_grant(credential, self.oauth_token_uri)
        except platform_oauth.MissingClientSecret as error:
            raise ConnectorError(str(error)) from None

    async def authorized(
        self,
        credential: ResolvedCredential,
        http: HttpClient,
        call: Callable[[str], Awaitable[httpx.Response]],
    ) -> httpx.Response:
        """`call(access_token)`, the bearer token fresh from the cache or the token
        endpoint for an OAuth credential (the `api_key` otherwise). A 401 with an OAuth
        credential drops the cached token, refreshes once and calls again once, within the
        same attempt. A failed refresh raises `OAuthError`."""
        self.oauth_grant(credential)  # a credential without its client secret: ConnectorError
        return await platform_oauth.authorized(
            credential, http, call, default_token_uri=self.oauth_token_uri
        )

    def request_summary(self, credential: ResolvedCredential) -> dict[str, Any]:
        """What the log keeps about the request besides the events (never a secret)."""
        return {}

    def row_response(self, response: dict[str, Any], index: int) -> dict[str, Any]:
        """What the log row of the batch's `index`-th event keeps of the answer: all of it
        by default (most platforms answer a batch with a few fields). A platform that
        answers per event gives each row its own part, so a 5,000-event batch does not
        store its whole answer 5,000 times."""
        return response

    def loggable(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event as `platform_sync_log` keeps it: personal data only hashed. Events of
        platforms that hash on the wire are kept as sent."""
        return event
