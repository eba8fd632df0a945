"""Meta Conversions API: `POST /{version}/{dataset_id}/events` (platforms.md §2).

Events carry `event_id` = the conversion's order id, so a batch sent again after a crash
or a retry is deduplicated by Meta (`event_name` + `event_id`, 48 hours). `user_data` is
normalized by Meta's documented rules (`rastro.conversions.normalize`) and hashed;
`fbc` comes from the `_fbc` cookie when the tracker saw one, else it is built from the
fbclid and the click time; `fbp` is passed through. A batch is all-or-nothing at Meta.
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

API_VERSION = "v26.0"
ACTION_SOURCES = frozenset(
    {
        "email",
        "website",
        "app",
        "phone_call",
        "chat",
        "physical_store",
        "system_generated",
        "business_messaging",
        "other",
    }
)
# A sale closed in the CRM is not a browser event: Meta's CRM integration reports it as
# `system_generated` unless the organization maps the conversion to another source.
DEFAULT_ACTION_SOURCE = "system_generated"
MAX_AGE = timedelta(days=7)
MAX_AGE_PHYSICAL_STORE = timedelta(days=62)
# Graph API error codes worth retrying (platforms.md §2.4); 100 (invalid parameter), 190
# (token) and 10/200-299 (permissions) are not.
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 341})
# The token is invalid or expired (190, 102) or lacks permission (10, 200-299): reconnect.
CREDENTIAL_CODES = frozenset({102, 190, 10, *range(200, 300)})
STANDARD_EVENTS = {"purchase": "Purchase", "lead": "Lead", "subscribe": "Subscribe"}


def _action_source(record: ConversionRecord) -> str:
    return str(record.action.get("action_source") or DEFAULT_ACTION_SOURCE)


class MetaConnector(Connector):
    platform: ClassVar[str] = "meta"
    credential_service: ClassVar[str] = "meta"
    batch_limit: ClassVar[int] = 1000

    def unmatchable(self, record: ConversionRecord) -> str | None:
        ids = record.click_ids
        if ids.get("fbc") or ids.get("fbclid") or ids.get("fbp") or record.email or record.phone:
            return None
        return Reason(
            "No fbclid, fbc, fbp, e-mail or phone to match on.",
            "nothing_to_match",
            platform="meta",
        )

    def window_click_time(self, record: ConversionRecord) -> datetime | None:
        ids = record.click_ids
        return record.clicked_at if (ids.get("fbclid") or ids.get("fbc")) else None

    def too_old(self, record: ConversionRecord, now: datetime) -> str | None:
        source = _action_source(record)
        limit = MAX_AGE_PHYSICAL_STORE if source == "physical_store" else MAX_AGE
        if now - record.conversion_date > limit:
            return Reason(
                f"Meta accepts {source} events up to {limit.days} days old; this one is from "
                f"{record.conversion_date.isoformat(timespec='seconds')}.",
                "conversion_too_old",
                platform="meta",
                days=limit.days,
                since=record.conversion_date.isoformat(),
            )
        return None

    def _user_data(self, record: ConversionRecord) -> dict[str, Any]:
        user: dict[str, Any] = {}
        if record.email and (em := normalize.hashed(normalize.meta_email(record.email))):
            user["em"] = [em]
        if record.phone and (ph := normalize.hashed(normalize.meta_phone(record.phone))):
            user["ph"] = [ph]
        if record.name:
            parts = [normalize.meta_name(part) for part in record.name.split(maxsplit=1)]
            if parts and parts[0]:
                user["fn"] = [normalize.hashed(parts[0])]
            if len(parts) > 1 and parts[1]:
                user["ln"] = [normalize.hashed(parts[1])]
        if external_id := normalize.hashed(normalize.meta_external_id(record.person_id)):
            user["external_id"] = [external_id]
        ids = record.click_ids
        if ids.get("fbc"):
            user["fbc"] = ids["fbc"]
        elif ids.get("fbclid") and record.clicked_at is not None:
            user["fbc"] = normalize.meta_fbc(ids["fbclid"], record.clicked_at)
        if ids.get("fbp"):
            user["fbp"] = ids["fbp"]
        return user

    def event(self, record: ConversionRecord) -> dict[str, Any]:
        source = _action_source(record)
        if source not in ACTION_SOURCES:
            raise InvalidConversion(f"Unknown Meta action_source {source!r}.")
        name = record.action.get("event_name") or STANDARD_EVENTS.get(
            record.conversion_name, record.conversion_name
        )
        event: dict[str, Any] = {
            "event_name": str(name),
            "event_time": int(record.conversion_date.timestamp()),
            "event_id": record.order_id,
            "action_source": source,
            "user_data": self._user_data(record),
            "custom_data": {"currency": record.currency, "order_id": record.order_id},
        }
        if record.value is not None:
            event["custom_data"]["value"] = float(record.value)
        if record.consent is not None:
            # The site asked for consent: without consent to ad personalization, Meta's
            # Limited Data Use (country and state 0: Meta geolocates the event); with it,
            # an explicit empty list.
            if record.consent.get("ad_personalization"):
                event["data_processing_options"] = []
            else:
                event["data_processing_options"] = ["LDU"]
                event["data_processing_options_country"] = 0
                event["data_processing_options_state"] = 0
        if source == "website":
            # Meta requires the page and the browser for website events; a CRM sale has
            # no browser, so a conversion mapped to `website` needs its page at least.
            if not record.page_url:
                raise InvalidConversion("A Meta website event needs the page URL.")
            event["event_source_url"] = record.page_url
        return event

    def _dataset(self, credential: ResolvedCredential) -> str:
        dataset = credential.settings.get("pixel_id") or credential.settings.get("dataset_id")
        if not dataset:
            raise ConnectorError("The Meta credential has no pixel_id (dataset id).")
        return str(dataset)

    def _version(self, credential: ResolvedCredential) -> str:
        return str(credential.settings.get("api_version") or API_VERSION)

    def request_summary(self, credential: ResolvedCredential) -> dict[str, Any]:
        return {
            "method": "POST",
            "path": f"/{self._version(credential)}/{self._dataset(credential)}/events",
        }

    async def send(
        self, events: list[dict[str, Any]], credential: ResolvedCredential, http: HttpClient
    ) -> BatchOutcome:
        body: dict[str, Any] = {"data": events, "access_token": credential.api_key}
        if credential.settings.get("test_event_code"):
            body["test_event_code"] = credential.settings["test_event_code"]
        path = f"/{self._version(credential)}/{self._dataset(credential)}/events"
        response = await http.post(path, json=body)
        return self.read(response, len(events))

    def read(self, response: httpx.Response, sent: int) -> BatchOutcome:
        """Meta's answer: `events_received` on success, a Graph error object otherwise
        (sometimes with HTTP 200)."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {"body": response.text[:2000]}
        status = response.status_code
        retry_after = retry_after_seconds(response)
        error = data.get("error")
        if status == 200 and not error:
            received = data.get("events_received")
            if received == sent:
                return BatchOutcome(ok=True, http_status=status, response=data)
            return BatchOutcome(
                ok=False,
                http_status=status,
                response=data,
                error=f"Meta received {received} of {sent} events.",
            )
        if isinstance(error, dict):
            code = error.get("code")
            subcode = error.get("error_subcode")
            message = (
                f"Meta error {code}"
                + (f"/{subcode}" if subcode is not None else "")
                + f": {error.get('error_user_msg') or error.get('message') or 'no message'}"
                + (f" (fbtrace_id {error['fbtrace_id']})" if error.get("fbtrace_id") else "")
            )
            rejected = code in CREDENTIAL_CODES
            transient = (
                code in TRANSIENT_CODES
                or error.get("is_transient") is True
                or status >= 500
                or (status == 429 and code not in {100, 190})
            )
        else:
            message = f"Meta answered HTTP {status}."
            transient = status >= 500 or status in {408, 429}
            rejected = False
        return BatchOutcome(
            ok=False,
            http_status=status,
            response=data,
            error=message[:2000],
            transient=transient,
            retry_after=retry_after,
            credential_rejected=rejected,
        )
