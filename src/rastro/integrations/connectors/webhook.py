"""The generic webhook: the lead as JSON, POSTed to the destination's URL, signed.

Request (`Content-Type: application/json`):

    {"event": "lead.created" | "lead.stage_changed", "delivery_id": "...",
     "organization_id": "...", "sent_at": "<ISO 8601>", "lead": {...LeadPayload.as_json()}}

Headers:
- `X-Rastro-Event`: the event;
- `X-Rastro-Delivery`: a UUID stable for one lead, event occurrence and destination — the
  same on every retry, so the receiver can drop duplicates;
- `X-Rastro-Timestamp`: Unix seconds when this attempt was signed;
- `X-Rastro-Signature`: `sha256=` + hex HMAC-SHA256(secret, timestamp + "." + raw body).

To verify: recompute the HMAC over the raw body bytes with the shared secret (the
credential's secret, or its key when it has no secret), compare in constant time, and
reject timestamps more than 5 minutes old. Any 2xx is success; 408/429/5xx and timeouts
are retried; other statuses fail at once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import orjson

from rastro.core.signing import sign
from rastro.integrations.connectors.base import (
    Calls,
    ConnectorError,
    LeadPayload,
    PushContext,
    PushResult,
    failure,
    problem,
    required_credential,
    response_body,
)


def _valid_url(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 2000:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class WebhookConnector:
    name: ClassVar[str] = "webhook"
    integration_type: ClassVar[str] = "webhook"

    def check_settings(self, settings: dict[str, Any]) -> list[dict[str, str]]:
        url = settings.get("url")
        if url is not None and not _valid_url(url):
            return [problem("url", "an http(s) URL")]
        return []

    def url(self, context: PushContext) -> str:
        url = context.settings.get("url") or required_credential(context.credential).base_url
        if not _valid_url(url):
            raise ConnectorError(
                "The webhook has no URL (settings.url or the credential's api_url)."
            )
        return str(url)

    def base_url(self, context: PushContext) -> str:
        return self.url(context)

    def headers(self, context: PushContext) -> dict[str, str]:
        return {}

    async def push(self, lead: LeadPayload, context: PushContext, calls: Calls) -> PushResult:
        credential = required_credential(context.credential)
        secret = credential.api_secret or credential.api_key
        document = {
            "event": lead.event,
            "delivery_id": lead.delivery_id,
            "organization_id": str(lead.organization_id),
            "sent_at": datetime.now(UTC).isoformat(),
            "lead": lead.as_json(),
        }
        body = orjson.dumps(document)
        timestamp = str(int(time.time()))
        response = await calls.send(
            "POST",
            self.url(context),
            content=body,
            headers={
                "content-type": "application/json",
                "x-rastro-event": lead.event,
                "x-rastro-delivery": lead.delivery_id,
                "x-rastro-timestamp": timestamp,
                "x-rastro-signature": sign(secret, timestamp, body),
            },
            logged_payload=document,
        )
        if not response.is_success:
            return failure(response, response.reason_phrase or "request failed")
        return PushResult(
            ok=True, http_status=response.status_code, response=response_body(response)
        )
