"""LinkedIn Conversions API: `POST /rest/conversionEvents` as a Rest.li `BATCH_CREATE`
(platforms.md §3).

Every request carries the monthly `LinkedIn-Version` (the credential's `api_version`
setting, else `API_VERSION`) and `X-Restli-Protocol-Version: 2.0.0`; versions sunset
after about a year, and an inactive one is refused (HTTP 426), which is final until the
setting is changed. The conversion rule is the conversion action's `action_id` (its id or
the full `urn:lla:llaPartnerConversion:` URN), else the credential's
`conversion_rule_id`. A person is matched by the raw `li_fat_id` of the click
(`LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID`, never hashed) and/or the SHA-256 of the
trimmed, lower-cased e-mail. `userInfo` (names in plain text) is not sent, so that the
request, and the sync log that keeps it, holds personal data only hashed. `eventId` is the
order id (the SHA-256 of it when longer than LinkedIn's 64 characters), so a retried
batch is deduplicated by LinkedIn.

The credential (vault service `linkedin`): `api_key` is a member access token (scope
`rw_conversions`), sent as `Authorization: Bearer`, used as is; or, when the settings have
`oauth_client_id` (and optionally `oauth_token_uri`, default `TOKEN_URI`), `api_key` is
the REFRESH token and `api_secret` the OAuth client secret, and Rastro gets access tokens
from the token endpoint (`rastro.core.oauth`, cached until shortly before expiry),
refreshing once and sending again once on a 401.

A batch is all-or-nothing at LinkedIn: a 400 names the invalid elements by index; those
fail and the rest are sent again at once, in the same attempt.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from rastro.auth.service.credentials import ResolvedCredential
from rastro.conversions import normalize
from rastro.conversions.connectors.base import (
    BatchOutcome,
    Connector,
    ConnectorError,
    ConversionRecord,
    InvalidConversion,
)
from rastro.conversions.reasons import Reason
from rastro.core.http import HttpClient, retry_after_seconds

PATH = "/rest/conversionEvents"
TOKEN_URI = "https://www.linkedin.com/oauth/v2/accessToken"
API_VERSION = "202601"
PROTOCOL_VERSION = "2.0.0"
URN_PREFIX = "urn:lla:llaPartnerConversion:"
MAX_AGE = timedelta(days=90)
EVENT_ID_LIMIT = 64
# Rounds of "drop the elements a 400 names, send the rest" within one attempt.
MAX_ROUNDS = 4
_URN = re.compile(r"^urn:lla:llaPartnerConversion:\d+$")
_VERSION = re.compile(r"^\d{6}(\.\d{2})?$")
# RudderStack's handler shows invalid elements listed as `Index: N, ERROR :: ...`.
_INDEX = re.compile(r"[Ii]ndex:?\s*(\d+)\s*,?\s*(?:ERROR\s*::\s*)?([^\n]*)")


def conversion_urn(rule: str) -> str:
    """`123456` or `urn:lla:llaPartnerConversion:123456` as the URN; raises
    `InvalidConversion` for anything else."""
    text = rule.strip()
    urn = URN_PREFIX + text if text.isdigit() else text
    if not _URN.match(urn):
        raise InvalidConversion(f"{rule!r} is not a LinkedIn conversion rule id or URN.")
    return urn


def _bearer_post(
    http: HttpClient, body: dict[str, Any], headers: dict[str, str]
) -> Callable[[str], Awaitable[httpx.Response]]:
    def call(token: str) -> Awaitable[httpx.Response]:
        return http.post(PATH, json=body, headers={**headers, "authorization": f"Bearer {token}"})

    return call


def _amount(value: Decimal) -> str:
    # LinkedIn takes the amount as a string with the currency's decimals.
    return format(value.quantize(Decimal("0.01")), "f")


class LinkedInConnector(Connector):
    platform: ClassVar[str] = "linkedin"
    credential_service: ClassVar[str] = "linkedin"
    # 5,000 per BATCH_CREATE (Salesforce's and RudderStack's integrations, platforms.md §3.3).
    batch_limit: ClassVar[int] = 5000
    oauth_token_uri: ClassVar[str | None] = TOKEN_URI

    def unmatchable(self, record: ConversionRecord) -> str | None:
        if record.click_ids.get("li_fat_id") or record.email:
            return None
        return Reason(
            "No li_fat_id or e-mail to match on (LinkedIn does not match on phone).",
            "nothing_to_match",
            platform="linkedin",
        )

    def window_click_time(self, record: ConversionRecord) -> datetime | None:
        return record.clicked_at if record.click_ids.get("li_fat_id") else None

    def too_old(self, record: ConversionRecord, now: datetime) -> str | None:
        if now - record.conversion_date > MAX_AGE:
            return Reason(
                f"LinkedIn accepts conversions up to {MAX_AGE.days} days old; this one is from "
                f"{record.conversion_date.isoformat(timespec='seconds')}.",
                "conversion_too_old",
                platform="linkedin",
                days=MAX_AGE.days,
                since=record.conversion_date.isoformat(),
            )
        return None

    def event(self, record: ConversionRecord) -> dict[str, Any]:
        user_ids: list[dict[str, str]] = []
        if record.email and (email := normalize.hashed(normalize.linkedin_email(record.email))):
            user_ids.append({"idType": "SHA256_EMAIL", "idValue": email})
        if record.click_ids.get("li_fat_id"):
            user_ids.append(
                {
                    "idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID",
                    "idValue": record.click_ids["li_fat_id"],
                }
            )
        if not user_ids:
            raise InvalidConversion("No li_fat_id or e-mail to match on.")
        event_id = record.order_id
        if len(event_id) > EVENT_ID_LIMIT:
            event_id = normalize.sha256_hex(event_id)
        event: dict[str, Any] = {
            "conversionHappenedAt": int(record.conversion_date.timestamp() * 1000),
            "eventId": event_id,
            "user": {"userIds": user_ids},
        }
        if record.action.get("action_id"):
            event["conversion"] = conversion_urn(str(record.action["action_id"]))
        if record.value is not None:
            event["conversionValue"] = {
                "currencyCode": record.currency,
                "amount": _amount(record.value),
            }
        return event

    def _version(self, credential: ResolvedCredential) -> str:
        version = str(credential.settings.get("api_version") or API_VERSION)
        if not _VERSION.match(version):
            raise ConnectorError(f"The LinkedIn api_version {version!r} is not YYYYMM.")
        return version

    def _default_urn(self, credential: ResolvedCredential) -> str | None:
        rule = credential.settings.get("conversion_rule_id")
        if not rule:
            return None
        try:
            return conversion_urn(str(rule))
        except InvalidConversion as error:
            raise ConnectorError(f"The LinkedIn credential's conversion_rule_id: {error}") from None

    def request_summary(self, credential: ResolvedCredential) -> dict[str, Any]:
        return {
            "method": "POST",
            "path": PATH,
            "linkedin_version": self._version(credential),
            "restli_method": "BATCH_CREATE",
        }

    def row_response(self, response: dict[str, Any], index: int) -> dict[str, Any]:
        """A batch answer holds one element per event: each log row keeps its own."""
        elements = response.get("elements")
        if isinstance(elements, list):
            rest = {key: value for key, value in response.items() if key != "elements"}
            return {**rest, "element": elements[index] if index < len(elements) else None}
        return response

    async def send(
        self, events: list[dict[str, Any]], credential: ResolvedCredential, http: HttpClient
    ) -> BatchOutcome:
        default = self._default_urn(credential)
        for event in events:
            if "conversion" not in event:
                if default is None:
                    raise ConnectorError(
                        "No LinkedIn conversion rule: map the conversion to one (action_id) "
                        "or set conversion_rule_id on the credential."
                    )
                # Filled in place, so that the sync log keeps the rule that was sent.
                event["conversion"] = default
        headers = {
            "linkedin-version": self._version(credential),
            "x-restli-protocol-version": PROTOCOL_VERSION,
            "x-restli-method": "BATCH_CREATE",
        }
        remaining = list(range(len(events)))
        rejected: dict[int, str] = {}
        outcome = BatchOutcome(ok=False, error="Nothing was sent.")
        for _ in range(MAX_ROUNDS):
            body = {"elements": [events[i] for i in remaining]}
            response = await self.authorized(credential, http, _bearer_post(http, body, headers))
            outcome = self.read(response, len(remaining))
            named = {remaining[i]: reason for i, reason in outcome.row_errors.items()}
            rejected.update(named)
            outcome = replace(outcome, row_errors=dict(rejected))
            if outcome.ok or outcome.transient or not named:
                return outcome
            # All-or-nothing: the named elements fail, the others go again now.
            remaining = [i for i in remaining if i not in named]
            if not remaining:
                return outcome
        return outcome

    def read(self, response: httpx.Response, sent: int) -> BatchOutcome:
        """LinkedIn's answer: `{"elements": [{"status": 201}, ...]}` on success, else an
        error object `{status, serviceErrorCode, code, message}`."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {"body": response.text[:2000]}
        status = response.status_code
        if status in (200, 201):
            elements = data.get("elements")
            if not isinstance(elements, list) or len(elements) != sent:
                return BatchOutcome(
                    ok=False,
                    http_status=status,
                    response=data,
                    error=f"LinkedIn answered {status} without a result for each of {sent} events.",
                )
            row_errors: dict[int, str] = {}
            for index, element in enumerate(elements):
                element_status = element.get("status") if isinstance(element, dict) else None
                if not (isinstance(element_status, int) and 200 <= element_status < 300):
                    error = element.get("error") if isinstance(element, dict) else None
                    detail = error.get("message") if isinstance(error, dict) else None
                    row_errors[index] = (
                        f"LinkedIn rejected the event ({element_status}): {detail or 'no message'}"
                    )[:2000]
            return BatchOutcome(ok=True, http_status=status, response=data, row_errors=row_errors)
        code = data.get("code")
        message = (
            f"LinkedIn error {status}"
            + (f" {code}" if code else "")
            + (f"/{data['serviceErrorCode']}" if data.get("serviceErrorCode") is not None else "")
            + f": {data.get('message') or 'no message'}"
        )[:2000]
        transient = status >= 500 or status in {408, 429}
        row_errors = {}
        if status == 400 and isinstance(data.get("message"), str):
            for match in _INDEX.finditer(data["message"]):
                index = int(match.group(1))
                if 0 <= index < sent:
                    row_errors[index] = f"LinkedIn: {match.group(2).strip() or 'invalid'}"[:2000]
        return BatchOutcome(
            ok=False,
            http_status=status,
            response=data,
            error=message,
            transient=transient,
            retry_after=retry_after_seconds(response),
            row_errors=row_errors,
        )
