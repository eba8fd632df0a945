"""Google: the Data Manager API (`POST /v1/events:ingest`, the default path) or the Google
Ads API (`POST /{version}/customers/{id}:uploadClickConversions`, for accounts Google still
allows on it), chosen per credential (platforms.md §1).

The credential (vault service `google_ads`):
- `api_key`: an OAuth 2.0 access token (scope `adwords` for the Ads API, `datamanager`
  for Data Manager), sent as `Authorization: Bearer`, used as is.
- `api_secret` (or the `developer_token` setting): the Ads API developer token, sent as
  `developer-token`. Optional: Google ignores it since 2026-09-09; Data Manager never
  used one.
- OAuth with refresh, when the settings have `oauth_client_id` (and optionally
  `oauth_token_uri`, default `TOKEN_URI`): `api_key` is the REFRESH token and
  `api_secret` the OAuth client secret; Rastro gets access tokens from the token endpoint
  (`rastro.core.oauth`, cached until shortly before expiry) and, on a 401, refreshes once
  and sends again once. The developer token then comes only from the `developer_token`
  setting.
- settings: `api` = `data_manager` (default) | `ads`; `customer_id` (the Google Ads
  account that owns the conversion actions; hyphens allowed); `login_customer_id` (the
  manager account, when access goes through one); `api_version` (Ads API, default v26);
  `conversion_actions` ({conversion name: conversion action id}) and
  `conversion_action_id` (for any other name). The organization's conversion settings
  (`actions[name]["google"]["action_id"]`) win over both.
- `api_url`: the base URL. Unset, the Ads API goes to googleads.googleapis.com and Data
  Manager to datamanager.googleapis.com.

Matching: exactly one click id, gclid > gbraid > wbraid. Without one, enhanced conversions
for leads: the lead's e-mail and phone normalized by Google's rules
(`normalize.google_email`, `normalize.google_phone`) and SHA-256 hashed. The order id is
the `orderId` (Ads) / `transactionId` (Data Manager), Google's deduplication key, so a
batch sent again after a crash is harmless; the date string sent is derived from the
stored conversion date in UTC, the same on every attempt.

Timing: Google imports a click only once it is 6 hours old (TOO_RECENT_EVENT): until then
the conversion waits, pending (`not_before`). A click older than 90 days (the longest
click-through window a conversion action can have) is refused (EXPIRED_EVENT): expired.

Answers: the Ads API reports rows in `partialFailureError` by index. Rows answered "too
recent" are retried 6 hours later; "already in use / already exists" means Google has the
conversion (sent); CLICK_NOT_FOUND on an e-mail/phone-only row is what Google says to
expect for leads that did not come from an ad (sent). Data Manager fails fast: one invalid
event rejects the whole request with a BadRequest naming it; the connector then sends the
other events again (same call) and reports the named ones failed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from rastro.auth.service.credentials import ResolvedCredential
from rastro.conversions import normalize
from rastro.conversions.connectors.base import (
    BatchOutcome,
    Connector,
    ConnectorError,
    ConversionRecord,
)
from rastro.conversions.connectors.google_errors import (
    bad_events,
    conversion_index,
    error_code,
    failure_errors,
    json_body,
    request_error,
)
from rastro.conversions.reasons import Reason
from rastro.core.http import HttpClient

ADS_API_VERSION = "v26"
ADS_BASE_URL = "https://googleads.googleapis.com"
DATA_MANAGER_BASE_URL = "https://datamanager.googleapis.com"
DATA_MANAGER_PATH = "/v1/events:ingest"
TOKEN_URI = "https://oauth2.googleapis.com/token"
APIS = ("data_manager", "ads")
CLICK_IDS = ("gclid", "gbraid", "wbraid")  # in order of precedence
MIN_CLICK_AGE = timedelta(hours=6)
MAX_CLICK_AGE = timedelta(days=90)
TOO_RECENT_RETRY_SECONDS = MIN_CLICK_AGE.total_seconds()
# Row codes that mean Google already has this conversion (platforms.md §1.5).
ALREADY_RECORDED = frozenset(
    {
        "ORDER_ID_ALREADY_IN_USE",
        "CLICK_CONVERSION_ALREADY_EXISTS",
        "DUPLICATE_CLICK_CONVERSION_IN_REQUEST",
    }
)
TOO_RECENT = frozenset({"TOO_RECENT_EVENT", "TOO_RECENT_CONVERSION_ACTION"})
# Data Manager takes at most 10 destinations (conversion actions) in one request.
MAX_DESTINATIONS = 10
_NON_DIGITS = re.compile(r"\D")


def _click(record: ConversionRecord) -> tuple[str, str] | None:
    """The one click id Google gets: gclid, else gbraid, else wbraid."""
    for name in CLICK_IDS:
        value = record.click_ids.get(name)
        if value:
            return name, value
    return None


def _digits(value: Any) -> str:
    return _NON_DIGITS.sub("", str(value or ""))


class GoogleConnector(Connector):
    platform: ClassVar[str] = "google"
    credential_service: ClassVar[str] = "google_ads"
    batch_limit: ClassVar[int] = 2000  # both APIs: 2,000 conversions / events per request
    oauth_token_uri: ClassVar[str | None] = TOKEN_URI

    # --- what a conversion can be matched on, and when --------------------------------------

    def unmatchable(self, record: ConversionRecord) -> str | None:
        if _click(record) or record.email or record.phone:
            return None
        return Reason(
            "No gclid, gbraid, wbraid, e-mail or phone to match on.",
            "nothing_to_match",
            platform="google_ads",
        )

    def window_click_time(self, record: ConversionRecord) -> datetime | None:
        return record.clicked_at if _click(record) else None

    def too_old(self, record: ConversionRecord, now: datetime) -> str | None:
        if _click(record) is None or record.clicked_at is None:
            return None
        if now - record.clicked_at > MAX_CLICK_AGE:
            return Reason(
                f"Google imports clicks up to {MAX_CLICK_AGE.days} days old; this click is "
                f"from {record.clicked_at.isoformat(timespec='seconds')}.",
                "click_too_old",
                platform="google_ads",
                days=MAX_CLICK_AGE.days,
                since=record.clicked_at.isoformat(),
            )
        return None

    def not_before(self, record: ConversionRecord) -> datetime | None:
        if _click(record) is None or record.clicked_at is None:
            return None
        return record.clicked_at + MIN_CLICK_AGE

    # --- the event -------------------------------------------------------------------------

    def event(self, record: ConversionRecord) -> dict[str, Any]:
        """The conversion in a form both APIs are built from (hashed identifiers only)."""
        when = record.conversion_date.astimezone(UTC)
        event: dict[str, Any] = {
            "orderId": record.order_id,
            "conversionName": record.conversion_name,
            "conversionActionId": str(record.action["action_id"])
            if record.action.get("action_id")
            else None,
            # The Ads API's "yyyy-mm-dd hh:mm:ss+hh:mm" and Data Manager's RFC 3339.
            "conversionDateTime": when.isoformat(sep=" ", timespec="seconds"),
            "eventTimestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "currencyCode": record.currency,
        }
        if record.value is not None:
            event["conversionValue"] = float(record.value)
        click = _click(record)
        if click is not None:
            event[click[0]] = click[1]
        else:  # enhanced conversions for leads
            if record.email and (email := normalize.hashed(normalize.google_email(record.email))):
                event["hashedEmail"] = email
            if record.phone and (phone := normalize.hashed(normalize.google_phone(record.phone))):
                event["hashedPhoneNumber"] = phone
        if record.consent is not None:  # the site asked: Google gets what the person said
            event["consent"] = {
                "ad_user_data": bool(record.consent.get("ad_user_data")),
                "ad_personalization": bool(record.consent.get("ad_personalization")),
            }
        return event

    # --- the credential ----------------------------------------------------------------------

    def _api(self, credential: ResolvedCredential) -> str:
        api = str(credential.settings.get("api") or "data_manager")
        if api not in APIS:
            raise ConnectorError(f"Unknown Google API {api!r}: use one of {', '.join(APIS)}.")
        return api

    def _customer_id(self, credential: ResolvedCredential) -> str:
        customer_id = _digits(credential.settings.get("customer_id"))
        if not customer_id:
            raise ConnectorError("The Google credential has no customer_id.")
        return customer_id

    def _ads_path(self, credential: ResolvedCredential) -> str:
        version = str(credential.settings.get("api_version") or ADS_API_VERSION)
        return f"/{version}/customers/{self._customer_id(credential)}:uploadClickConversions"

    def _data_manager_url(self, credential: ResolvedCredential) -> str:
        # The service's default base URL is the Ads API's; Data Manager lives elsewhere.
        base = (credential.base_url or "").rstrip("/")
        if not base or base == ADS_BASE_URL:
            return DATA_MANAGER_BASE_URL + DATA_MANAGER_PATH
        return DATA_MANAGER_PATH

    def _action_id(self, event: dict[str, Any], credential: ResolvedCredential) -> str | None:
        if event.get("conversionActionId"):
            return _digits(event["conversionActionId"]) or None
        by_name = credential.settings.get("conversion_actions") or {}
        found = by_name.get(event["conversionName"]) if isinstance(by_name, dict) else None
        found = found or credential.settings.get("conversion_action_id")
        return _digits(found) or None

    def request_summary(self, credential: ResolvedCredential) -> dict[str, Any]:
        api = self._api(credential)
        self._customer_id(credential)
        if api == "ads":
            return {"method": "POST", "api": api, "path": self._ads_path(credential)}
        return {"method": "POST", "api": api, "path": DATA_MANAGER_PATH}

    # --- sending -------------------------------------------------------------------------------

    async def send(
        self, events: list[dict[str, Any]], credential: ResolvedCredential, http: HttpClient
    ) -> BatchOutcome:
        api = self._api(credential)
        customer_id = self._customer_id(credential)
        actions = [self._action_id(event, credential) for event in events]
        unmapped = {
            index: (
                f"No Google conversion action id for {events[index]['conversionName']!r}: set "
                "it in the conversion settings or the credential's conversion_actions."
            )
            for index, action in enumerate(actions)
            if action is None
        }
        sendable = [index for index, action in enumerate(actions) if action is not None]
        if not sendable:
            return BatchOutcome(ok=False, error=next(iter(unmapped.values())), row_errors=unmapped)
        chosen = [(events[i], str(actions[i])) for i in sendable]
        if api == "ads":
            outcome = await self._send_ads(chosen, customer_id, credential, http)
        else:
            outcome = await self._send_data_manager(chosen, customer_id, credential, http)
        # Back to the indexes of the batch the caller gave.
        outcome.row_errors = {sendable[i]: e for i, e in outcome.row_errors.items()} | unmapped
        outcome.row_retry_after = {sendable[i]: r for i, r in outcome.row_retry_after.items()}
        return outcome

    # Google Ads API ---------------------------------------------------------------------------

    def _click_conversion(
        self, event: dict[str, Any], customer_id: str, action_id: str
    ) -> dict[str, Any]:
        conversion: dict[str, Any] = {
            "conversionAction": f"customers/{customer_id}/conversionActions/{action_id}",
            "conversionDateTime": event["conversionDateTime"],
            "orderId": event["orderId"],
            "currencyCode": event["currencyCode"],
        }
        if "conversionValue" in event:
            conversion["conversionValue"] = event["conversionValue"]
        for name in CLICK_IDS:
            if event.get(name):
                conversion[name] = event[name]
        identifiers = []
        if event.get("hashedEmail"):
            identifiers.append(
                {"hashedEmail": event["hashedEmail"], "userIdentifierSource": "FIRST_PARTY"}
            )
        if event.get("hashedPhoneNumber"):
            identifiers.append(
                {
                    "hashedPhoneNumber": event["hashedPhoneNumber"],
                    "userIdentifierSource": "FIRST_PARTY",
                }
            )
        if identifiers:
            conversion["userIdentifiers"] = identifiers
        if event.get("consent"):
            # ClickConversion.consent takes ad_user_data only (ad_personalization is for
            # customer-match uploads): the Ads API refuses it here.
            conversion["consent"] = {
                "adUserData": "GRANTED" if event["consent"]["ad_user_data"] else "DENIED"
            }
        return conversion

    def _ads_headers(self, credential: ResolvedCredential, access_token: str) -> dict[str, str]:
        headers = {"authorization": f"Bearer {access_token}"}
        token = credential.settings.get("developer_token")
        # With OAuth refresh the secret is the client secret: never sent to the Ads API.
        if self.oauth_grant(credential) is None:
            token = credential.api_secret or token
        if token:
            headers["developer-token"] = str(token)
        login = _digits(credential.settings.get("login_customer_id"))
        if login:
            headers["login-customer-id"] = login
        return headers

    async def _send_ads(
        self,
        chosen: list[tuple[dict[str, Any], str]],
        customer_id: str,
        credential: ResolvedCredential,
        http: HttpClient,
    ) -> BatchOutcome:
        body = {
            "conversions": [self._click_conversion(e, customer_id, a) for e, a in chosen],
            # Google supports only partial-failure uploads (platforms.md §1.2).
            "partialFailure": True,
        }
        path = self._ads_path(credential)
        response = await self.authorized(
            credential,
            http,
            lambda token: http.post(path, json=body, headers=self._ads_headers(credential, token)),
        )
        return self.read_ads(response, [event for event, _ in chosen])

    def read_ads(self, response: httpx.Response, events: list[dict[str, Any]]) -> BatchOutcome:
        """The Ads API's answer: rows by index in `partialFailureError`, or a request error."""
        data = json_body(response)
        status = response.status_code
        request_id = response.headers.get("request-id")
        if status != 200:
            return request_error("Google Ads", response, data)
        row_errors: dict[int, str] = {}
        row_retry: dict[int, tuple[float, str]] = {}
        failure = data.get("partialFailureError")
        for error in failure_errors(failure):
            index = conversion_index(error)
            if index is None or not 0 <= index < len(events):
                continue
            code = error_code(error)
            message = f"Google Ads {code}: {error.get('message') or 'no message'}"
            if request_id:
                message += f" (request-id {request_id})"
            if code in ALREADY_RECORDED:
                continue
            if code == "CLICK_NOT_FOUND" and not any(events[index].get(n) for n in CLICK_IDS):
                continue  # a lead that did not come from an ad: expected for ECL
            if code in TOO_RECENT:
                row_retry[index] = (TOO_RECENT_RETRY_SECONDS, message)
                continue
            previous = row_errors.get(index)
            row_errors[index] = f"{previous}; {message}" if previous else message
        if failure and not row_errors and not row_retry and not failure_errors(failure):
            # A partial failure Google could not tie to rows: nothing is known as accepted.
            return BatchOutcome(
                ok=False,
                http_status=status,
                response=data,
                error=f"Google Ads partial failure: {failure.get('message') or failure}"[:2000],
            )
        return BatchOutcome(
            ok=True,
            http_status=status,
            response=data,
            row_errors=row_errors,
            row_retry_after=row_retry,
        )

    # Data Manager API -------------------------------------------------------------------------

    def _destination(
        self, action_id: str, customer_id: str, credential: ResolvedCredential
    ) -> dict[str, Any]:
        destination: dict[str, Any] = {
            "reference": action_id,
            "operatingAccount": {"accountType": "GOOGLE_ADS", "accountId": customer_id},
            "productDestinationId": action_id,
        }
        login = _digits(credential.settings.get("login_customer_id"))
        if login:
            destination["loginAccount"] = {"accountType": "GOOGLE_ADS", "accountId": login}
        return destination

    def _data_manager_event(self, event: dict[str, Any], action_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "destinationReferences": [action_id],
            "transactionId": event["orderId"],
            "eventTimestamp": event["eventTimestamp"],
            "currency": event["currencyCode"],
        }
        if "conversionValue" in event:
            out["conversionValue"] = event["conversionValue"]
        click = {name: event[name] for name in CLICK_IDS if event.get(name)}
        if click:
            out["adIdentifiers"] = click
        identifiers = []
        if event.get("hashedEmail"):
            identifiers.append({"emailAddress": event["hashedEmail"]})
        if event.get("hashedPhoneNumber"):
            identifiers.append({"phoneNumber": event["hashedPhoneNumber"]})
        if identifiers:
            out["userData"] = {"userIdentifiers": identifiers}
        if event.get("consent"):
            out["consent"] = {
                "adUserData": _consent_status(event["consent"]["ad_user_data"]),
                "adPersonalization": _consent_status(event["consent"]["ad_personalization"]),
            }
        return out

    async def _send_data_manager(
        self,
        chosen: list[tuple[dict[str, Any], str]],
        customer_id: str,
        credential: ResolvedCredential,
        http: HttpClient,
    ) -> BatchOutcome:
        url = self._data_manager_url(credential)
        remaining = list(range(len(chosen)))
        rejected: dict[int, str] = {}
        # Fast-fail: a request naming bad events is sent again without them, a few times
        # at most (each round drops at least one event).
        for _ in range(3):
            actions = list(dict.fromkeys(chosen[i][1] for i in remaining))
            if len(actions) > MAX_DESTINATIONS:
                raise ConnectorError(
                    f"One Data Manager request takes at most {MAX_DESTINATIONS} conversion "
                    f"actions; this batch has {len(actions)}."
                )
            body = {
                "destinations": [self._destination(a, customer_id, credential) for a in actions],
                "events": [self._data_manager_event(*chosen[i]) for i in remaining],
                "encoding": "HEX",
            }
            response = await self.authorized(credential, http, _bearer_post(http, url, body))
            data = json_body(response)
            if response.status_code == 200:
                return BatchOutcome(ok=True, http_status=200, response=data, row_errors=rejected)
            outcome = request_error("Google Data Manager", response, data)
            named = bad_events(data) if response.status_code == 400 else {}
            named = {i: m for i, m in named.items() if 0 <= i < len(remaining)}
            if not named:
                outcome.row_errors = rejected
                return outcome
            for position, message in named.items():
                rejected[remaining[position]] = f"Google Data Manager: {message}"
            remaining = [i for p, i in enumerate(remaining) if p not in named]
            if not remaining:
                return BatchOutcome(ok=True, http_status=400, response=data, row_errors=rejected)
        outcome.row_errors = rejected
        return outcome


def _bearer_post(
    http: HttpClient, url: str, body: dict[str, Any]
) -> Callable[[str], Awaitable[httpx.Response]]:
    def call(token: str) -> Awaitable[httpx.Response]:
        return http.post(url, json=body, headers={"authorization": f"Bearer {token}"})

    return call


def _consent_status(granted: bool) -> str:
    """Data Manager's `ConsentStatus` of a purpose."""
    return "CONSENT_GRANTED" if granted else "CONSENT_DENIED"
