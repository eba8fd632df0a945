"""HubSpot deal webhooks (v3 signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime
from typing import Any

from rastro.auth.service.credentials import ResolvedCredential
from rastro.integrations.errors import InvalidWebhookSignature, MalformedWebhook
from rastro.integrations.inbound.base import (
    InboundChange,
    SignedRequest,
    clean_text,
    currency_code,
    is_fresh,
    money,
    parse_date,
)

# HubSpot v3 signs the URI with these characters decoded (their documented table).
_HUBSPOT_DECODE = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}


def _hubspot_uri(url: str) -> str:
    return re.sub(
        r"%[0-9A-Fa-f]{2}", lambda m: _HUBSPOT_DECODE.get(m.group(0).upper(), m.group(0)), url
    )


class HubSpotInbound:
    """HubSpot webhooks (v3 signature) for deal events.

    Verification: `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(app client secret,
    method + full URI + raw body + `X-HubSpot-Request-Timestamp`)), the timestamp in
    milliseconds and at most 5 minutes old. Behind a proxy that terminates TLS the app sees
    `http://`; the `https://` form of the same URI is accepted too.

    Body: a JSON array of events. `deal.propertyChange` with `propertyName` `dealstage`
    (the pipeline stage id in `propertyValue`) is a stage change; `deal.creation` is one when
    the batch also carries the deal's `dealstage`. Other properties of the same deal in the
    same batch (`amount`, `closedate`, `deal_currency_code`, `dealname`) travel with the stage
    change; alone they update the lead's deal (or are ignored for an unknown deal). HubSpot
    sends owner ids, not e-mails: changes are recorded as made by `hubspot`.
    """

    name = "hubspot"
    needs_credential = True
    verification = "X-HubSpot-Signature-v3 (HMAC-SHA256 with the app's client secret)"

    def verify(
        self, request: SignedRequest, credential: ResolvedCredential | None, now: datetime
    ) -> None:
        assert credential is not None
        signature = request.headers.get("x-hubspot-signature-v3", "")
        timestamp = request.headers.get("x-hubspot-request-timestamp", "")
        if not signature or not timestamp.isdigit():
            raise InvalidWebhookSignature("The HubSpot v3 signature headers are missing.")
        if not is_fresh(int(timestamp) / 1000, now):
            raise InvalidWebhookSignature("The HubSpot request timestamp is too old.")
        uri = _hubspot_uri(request.url)
        candidates = [uri]
        if uri.startswith("http://"):
            candidates.append("https://" + uri.removeprefix("http://"))
        key = credential.api_key.encode()
        for candidate in candidates:
            message = (request.method.upper() + candidate).encode() + request.body
            digest = hmac.new(key, message + timestamp.encode(), hashlib.sha256).digest()
            if hmac.compare_digest(base64.b64encode(digest).decode(), signature):
                return
        raise InvalidWebhookSignature()

    def parse(self, body: Any) -> list[InboundChange]:
        if not isinstance(body, list):
            raise MalformedWebhook("A HubSpot webhook body is a JSON array of events.")
        events = [e for e in body if isinstance(e, dict)]
        if len(events) != len(body) or any(e.get("eventId") is None for e in events):
            raise MalformedWebhook("Every HubSpot event is an object with an `eventId`.")
        properties: dict[str, dict[str, Any]] = {}
        for event in events:
            if event.get("propertyName") is not None:
                properties.setdefault(str(event.get("objectId")), {})[
                    str(event["propertyName"])
                ] = event.get("propertyValue")
        changes = []
        for event in events:
            event_id = clean_text(event["eventId"], 200) or ""
            kind = str(event.get("subscriptionType") or "")
            record_id = clean_text(event.get("objectId"))
            props = properties.get(str(event.get("objectId")), {})
            ignore = None
            if not kind.startswith("deal."):
                ignore = f"not a deal event ({kind or 'no subscriptionType'})"
            elif kind in ("deal.deletion", "deal.restore", "deal.merge", "deal.privacyDeletion"):
                ignore = f"{kind} is not applied"
            stage: tuple[str, ...] = ()
            if kind == "deal.propertyChange" and event.get("propertyName") == "dealstage":
                stage = tuple(s for s in [clean_text(event.get("propertyValue"))] if s)
            elif kind == "deal.creation" and props.get("dealstage"):
                stage = tuple(s for s in [clean_text(props["dealstage"])] if s)
            changes.append(
                InboundChange(
                    event_id=event_id,
                    record_id=record_id,
                    stage_keys=stage,
                    value=money(props.get("amount")),
                    currency=currency_code(props.get("deal_currency_code")),
                    close_date=parse_date(props.get("closedate")),
                    deal_name=clean_text(props.get("dealname")),
                    ignore=ignore,
                    raw=event,
                )
            )
        return changes
