"""TikTok Events API 2.0: `POST /open_api/v1.3/event/track/` (platforms.md §4).

The request names its source: `web` with the pixel code (the credential's `pixel_code`)
or, when the credential has an `event_set_id`, `offline` (or the `event_source` setting,
`offline` or `crm`) with that event set — TikTok refuses a pixel code there. Events carry
`event_id` = the order id, so a retried batch is deduplicated by TikTok (`event` +
`event_id`, 48 hours). `user` holds the click's `ttclid` as it came and the SHA-256 of the
e-mail (trimmed, lower-cased), of the phone in E.164 *with* the `+` (not Meta's digits)
and of the person's id, by `rastro.conversions.normalize`'s TikTok rules.

TikTok answers HTTP 200 with a body `code`: anything but 0 is an error even then. 40100
(rate limit), 40700 and TikTok's 5xxxx system codes are transient; others (40001
permission, 40002 invalid parameter, ...) are final. 20001 is a partial success and counts
as accepted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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

PATH = "/open_api/v1.3/event/track/"
EVENT_SOURCES = frozenset({"web", "offline", "crm"})
# TikTok documents no maximum event age (platforms.md §4.3, unverified): send promptly and
# stop trying after 7 days, as the digest advises.
MAX_AGE = timedelta(days=7)
TRANSIENT_CODES = frozenset({40100, 40700})
# No permission on the pixel / event set, or an invalid access token: reconnect.
CREDENTIAL_CODES = frozenset({40001, 40104, 40105})
PARTIAL_SUCCESS = 20001
STANDARD_EVENTS = {
    "purchase": "Purchase",
    "lead": "Lead",
    "subscribe": "Subscribe",
    "contract_signed": "PlaceAnOrder",
}


def _is_transient_code(code: object) -> bool:
    return isinstance(code, int) and (code in TRANSIENT_CODES or 50000 <= code < 60000)


class TikTokConnector(Connector):
    platform: ClassVar[str] = "tiktok"
    credential_service: ClassVar[str] = "tiktok"
    batch_limit: ClassVar[int] = 1000

    def unmatchable(self, record: ConversionRecord) -> str | None:
        if record.click_ids.get("ttclid") or record.email or record.phone:
            return None
        return Reason(
            "No ttclid, e-mail or phone to match on.", "nothing_to_match", platform="tiktok"
        )

    def window_click_time(self, record: ConversionRecord) -> datetime | None:
        return record.clicked_at if record.click_ids.get("ttclid") else None

    def too_old(self, record: ConversionRecord, now: datetime) -> str | None:
        if now - record.conversion_date > MAX_AGE:
            return Reason(
                f"TikTok events are sent up to {MAX_AGE.days} days after the conversion "
                "(TikTok documents no limit; Rastro stops there); this one is from "
                f"{record.conversion_date.isoformat(timespec='seconds')}.",
                "conversion_too_old",
                platform="tiktok",
                days=MAX_AGE.days,
                since=record.conversion_date.isoformat(),
            )
        return None

    def _user(self, record: ConversionRecord) -> dict[str, Any]:
        user: dict[str, Any] = {}
        if record.click_ids.get("ttclid"):
            user["ttclid"] = record.click_ids["ttclid"]
        if record.email and (email := normalize.hashed(normalize.tiktok_email(record.email))):
            user["email"] = email
        if record.phone and (phone := normalize.hashed(normalize.tiktok_phone(record.phone))):
            user["phone"] = phone
        if external_id := normalize.hashed(normalize.tiktok_external_id(record.person_id)):
            user["external_id"] = external_id
        return user

    def event(self, record: ConversionRecord) -> dict[str, Any]:
        name = record.action.get("event_name") or STANDARD_EVENTS.get(
            record.conversion_name, record.conversion_name
        )
        if not str(name).strip():
            raise InvalidConversion("The TikTok event name is empty.")
        properties: dict[str, Any] = {"currency": record.currency, "order_id": record.order_id}
        if record.value is not None:
            properties["value"] = float(record.value)
        event: dict[str, Any] = {
            "event": str(name),
            "event_time": int(record.conversion_date.timestamp()),
            "event_id": record.order_id,
            "user": self._user(record),
            "properties": properties,
        }
        if record.page_url:
            event["page"] = {"url": record.page_url}
        return event

    def _source(self, credential: ResolvedCredential) -> tuple[str, str]:
        """(event_source, event_source_id) of the credential."""
        settings = credential.settings
        event_set = settings.get("event_set_id")
        source = str(settings.get("event_source") or ("offline" if event_set else "web"))
        if source not in EVENT_SOURCES:
            raise ConnectorError(f"Unknown TikTok event_source {source!r}.")
        if source == "web":
            pixel = settings.get("pixel_code")
            if not pixel:
                raise ConnectorError("The TikTok credential has no pixel_code.")
            return source, str(pixel)
        if not event_set:
            raise ConnectorError(f"TikTok {source} events need the credential's event_set_id.")
        return source, str(event_set)

    def request_summary(self, credential: ResolvedCredential) -> dict[str, Any]:
        source, source_id = self._source(credential)
        return {
            "method": "POST",
            "path": PATH,
            "event_source": source,
            "event_source_id": source_id,
        }

    async def send(
        self, events: list[dict[str, Any]], credential: ResolvedCredential, http: HttpClient
    ) -> BatchOutcome:
        source, source_id = self._source(credential)
        body: dict[str, Any] = {
            "event_source": source,
            "event_source_id": source_id,
            "data": events,
        }
        if credential.settings.get("test_event_code"):
            body["test_event_code"] = credential.settings["test_event_code"]
        response = await http.post(PATH, json=body, headers={"access-token": credential.api_key})
        return self.read(response)

    def read(self, response: httpx.Response) -> BatchOutcome:
        """TikTok's answer: `{"code": 0, "message": "OK", "request_id": ...}`; a non-zero
        `code` is an error whatever the HTTP status."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {"body": response.text[:2000]}
        status = response.status_code
        code = data.get("code")
        if status == 200 and code in (0, PARTIAL_SUCCESS):
            return BatchOutcome(ok=True, http_status=status, response=data)
        if code is not None:
            message = f"TikTok error {code}: {data.get('message') or 'no message'}" + (
                f" (request_id {data['request_id']})" if data.get("request_id") else ""
            )
        else:
            message = f"TikTok answered HTTP {status}."
        transient = _is_transient_code(code) or status >= 500 or status in {408, 429}
        return BatchOutcome(
            ok=False,
            http_status=status,
            response=data,
            error=message[:2000],
            transient=transient,
            retry_after=retry_after_seconds(response),
            credential_rejected=code in CREDENTIAL_CODES,
        )
