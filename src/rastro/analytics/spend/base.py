"""The small interface every ad-platform spend importer implements.

A connector knows one platform's reporting API: how to ask for an ad account's daily
figures per ad over a range of the account's days, how to page through the answer, and
what its errors mean. The importer (`rastro.analytics.service.spend_import`) does the
rest: credentials, windows, retries with backoff, upserts, the run log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import httpx
import orjson

from rastro.auth.service.credentials import ResolvedCredential
from rastro.conversions.service import platform_oauth
from rastro.core.http import HttpClient, retry_after_seconds
from rastro.core.oauth import OAuthError


@dataclass(frozen=True)
class AccountRef:
    """What a connector sees of a configured ad account (plain values, no ORM)."""

    platform: str
    account_id: str
    timezone: str
    currency: str
    conversion_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SpendRow:
    """One ad's figures on one day of its account, with the names the platform gave."""

    campaign_id: str
    campaign_name: str | None
    ad_set_id: str | None
    ad_set_name: str | None
    ad_id: str
    ad_name: str | None
    day: date
    spend: Decimal
    currency: str
    impressions: int = 0
    reach: int | None = None
    clicks: int = 0
    link_clicks: int | None = None
    video_plays: int | None = None
    video_3s_views: int | None = None
    thruplays: int | None = None
    conversions: Decimal = Decimal(0)
    conversion_value: Decimal = Decimal(0)
    attribution_setting: str | None = None


@dataclass(frozen=True, slots=True)
class AdUrl:
    """One ad's destination as its platform stores it: the landing page, the parameters
    the platform appends to it (Meta `url_tags`, Google's effective `final_url_suffix`,
    TikTok's URL parameters), Google's effective tracking template and the account's
    auto-tagging (None where the platform has no such setting)."""

    ad_id: str
    campaign_id: str | None
    landing_url: str | None
    url_suffix: str | None = None
    tracking_template: str | None = None
    auto_tagging: bool | None = None


@dataclass(frozen=True, slots=True)
class ClickRow:
    """One ad click as the platform reports it (Google's `click_view`): its click id and
    the campaign, ad group and ad it came from, on a day of the account."""

    click_id: str
    campaign_id: str
    ad_set_id: str | None
    ad_id: str | None
    day: date


class ReportError(Exception):
    """The platform did not give the report. `transient`: a later attempt may succeed
    (429, 5xx, the platform's rate-limit codes, a broken stream); `credential_rejected`:
    the token is invalid or expired and cannot be refreshed (reconnect the account)."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        credential_rejected: bool = False,
    ) -> None:
        super().__init__(message[:2000])
        self.transient = transient
        self.retry_after = retry_after
        self.credential_rejected = credential_rejected


Pages = AsyncIterator[list[SpendRow]]


class SpendConnector:
    platform: ClassVar[str]
    # Vault services whose credentials can read this platform's reports.
    credential_services: ClassVar[frozenset[str]]
    # Days asked in one report request (the platform's limit or what keeps an answer small).
    window_days: ClassVar[int]
    # The conversion types counted when the account names none.
    default_conversion_types: ClassVar[tuple[str, ...]] = ()
    # The token endpoint of OAuth credentials (None: the platform's tokens are not refreshed).
    oauth_token_uri: ClassVar[str | None] = None
    # How many days back the platform reports single clicks (0: it has no click report).
    click_days: ClassVar[int] = 0

    def report(
        self,
        account: AccountRef,
        credential: ResolvedCredential,
        http: HttpClient,
        start: date,
        end: date,
    ) -> Pages:
        """The account's rows for the days `start`..`end` (inclusive), page by page.
        Raises `ReportError`."""
        raise NotImplementedError

    async def ad_urls(
        self, account: AccountRef, credential: ResolvedCredential, http: HttpClient
    ) -> list[AdUrl] | None:
        """Every ad's destination URL where the platform's API exposes it (None: it does
        not). Raises `ReportError`."""
        return None

    async def clicks(
        self, account: AccountRef, credential: ResolvedCredential, http: HttpClient, day: date
    ) -> list[ClickRow]:
        """The account's clicks of one of its days with their click ids (only where
        `click_days` > 0). Raises `ReportError`."""
        return []

    async def authorized(
        self,
        credential: ResolvedCredential,
        http: HttpClient,
        call: Callable[[str], Awaitable[httpx.Response]],
    ) -> httpx.Response:
        """`call(access_token)` with the conversions module's OAuth refresh (once on a
        401); a refused or failing refresh becomes a `ReportError`."""
        try:
            return await platform_oauth.authorized(
                credential, http, call, default_token_uri=self.oauth_token_uri
            )
        except platform_oauth.MissingClientSecret as error:
            raise ReportError(str(error), credential_rejected=True) from None
        except OAuthError as error:
            raise ReportError(
                str(error), transient=error.transient, credential_rejected=not error.transient
            ) from None


def http_failure(platform: str, response: httpx.Response, detail: str) -> ReportError:
    """A failed HTTP answer as a `ReportError` (429 and 5xx transient, 401 rejected)."""
    status = response.status_code
    return ReportError(
        f"{platform} answered HTTP {status}: {detail}",
        transient=status == 429 or status >= 500,
        retry_after=retry_after_seconds(response),
        credential_rejected=status == 401,
    )


def json_body(response: httpx.Response) -> Any:
    """The answer's JSON (orjson: a year of report rows parses in a third of the time of
    the standard library's); None when it is not JSON."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object ({} when it is not one)."""
    data = json_body(response)
    return data if isinstance(data, dict) else {}


_ZERO = Decimal(0)


def decimal(value: Any) -> Decimal:
    """A platform's number (string or number) as a Decimal; 0 when absent or malformed."""
    if value is None or value == "":
        return _ZERO
    try:
        return Decimal(value) if type(value) in (str, int) else Decimal(str(value))
    except InvalidOperation:
        return _ZERO


def integer(value: Any) -> int:
    """A platform's count (string or number) as an int; 0 when absent or malformed."""
    if type(value) is int:
        return value
    if value is None or value == "":
        return 0
    try:
        return int(value)  # "123"
    except (TypeError, ValueError):
        pass
    try:
        return int(Decimal(str(value)))  # "12.0", 12.5
    except (InvalidOperation, ValueError):
        return 0


def optional_integer(value: Any) -> int | None:
    """Like `integer`, but None when the platform gave no figure."""
    return None if value is None or value == "" else integer(value)
