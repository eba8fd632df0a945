"""Mailgun's webhooks (JSON body `{"signature": {...}, "event-data": {...}}`).

Mailgun signs inside the body: `signature.signature` is the hex HMAC-SHA256, under the
account's HTTP webhook signing key, of `signature.timestamp` followed by
`signature.token` (a random 50-character string). It is compared in constant time; a
timestamp more than `TOLERANCE_SECONDS` from now is refused, and a token already received
is refused as a replay (the caller keeps the tokens, `email_webhook_tokens`).

`event-data.event`: `delivered`; `opened`; `clicked` (`url`); `failed` — `severity`
`permanent` is a hard bounce, `temporary` a soft one, the diagnostic from
`delivery-status` (`code`, `message`, `description`) or `reason`; `complained` →
complaint; `unsubscribed` → unsubscribe. `accepted`, `rejected` and `stored` change
nothing here. Our message id is the user variable `rastro_mid` (the SMTP sender's
`X-Mailgun-Variables` header), else our `Message-ID` in `message.headers.message-id`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, Literal

from rastro.email.providers.base import (
    NoticeKind,
    ProviderEvent,
    WebhookVerificationError,
    address,
    fresh,
    message_id_header,
    parse_uuid,
    unix_time,
)

TOLERANCE_SECONDS = 600.0
USER_VARIABLE = "rastro_mid"

_KINDS: dict[str, NoticeKind] = {
    "delivered": "delivered",
    "opened": "open",
    "clicked": "click",
    "failed": "bounce",
    "complained": "complaint",
    "unsubscribed": "unsubscribe",
}


def sign(signing_key: str, timestamp: str, token: str) -> str:
    """Mailgun's signature of a timestamp and token."""
    return hmac.new(
        signing_key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()


class MailgunWebhook:
    source = "mailgun"

    def __init__(self, *, signing_key: str) -> None:
        self._signing_key = signing_key

    def verify(self, payload: Any, *, now: float | None = None) -> str:
        """The request's one-time token once its signature verifies and its timestamp is
        fresh (else `WebhookVerificationError`)."""
        signature = payload.get("signature") if isinstance(payload, dict) else None
        if not isinstance(signature, dict):
            raise WebhookVerificationError("signature missing")
        timestamp, token, given = (
            signature.get("timestamp"),
            signature.get("token"),
            signature.get("signature"),
        )
        if not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in (timestamp, token, given)
        ):
            raise WebhookVerificationError("signature incomplete")
        timestamp, token, given = str(timestamp), str(token), str(given)
        if not 1 <= len(token) <= 200:
            raise WebhookVerificationError("bad token")
        expected = sign(self._signing_key, timestamp, token)
        if not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
            raise WebhookVerificationError("signature does not verify")
        if not fresh(timestamp, time.time() if now is None else now, TOLERANCE_SECONDS):
            raise WebhookVerificationError("stale timestamp")
        return token

    def events(self, payload: dict[str, Any]) -> list[ProviderEvent] | None:
        """The notice of a verified body; None without `event-data`."""
        data = payload.get("event-data")
        if not isinstance(data, dict) or not isinstance(data.get("event"), str):
            return None
        kind = _KINDS.get(data["event"])
        if kind is None:
            return []
        bounce_type: Literal["hard", "soft"] | None = None
        diagnostic: str | None = None
        if kind == "bounce":
            bounce_type = "hard" if data.get("severity") == "permanent" else "soft"
            diagnostic = _diagnostic(data)
        variables = data.get("user-variables")
        message = data.get("message")
        headers = message.get("headers") if isinstance(message, dict) else None
        theirs = headers.get("message-id") if isinstance(headers, dict) else None
        ours = parse_uuid(variables.get(USER_VARIABLE)) if isinstance(variables, dict) else None
        event_id = data.get("id")
        return [
            ProviderEvent(
                kind=kind,
                external_id=str(event_id)
                if event_id
                else f"{data['event']}:{theirs}:{data.get('timestamp')}",
                recipient=address(data.get("recipient")),
                message_id=ours or message_id_header(theirs),
                provider_message_id=str(theirs).strip("<>") if theirs else None,
                occurred_at=unix_time(data.get("timestamp")),
                bounce_type=bounce_type,
                diagnostic=diagnostic,
                url=str(data["url"])[:2000] if kind == "click" and data.get("url") else None,
            )
        ]


def _diagnostic(data: dict[str, Any]) -> str | None:
    status = data.get("delivery-status")
    parts: list[str] = []
    if isinstance(status, dict):
        parts = [
            str(status[name])
            for name in ("code", "message", "description")
            if status.get(name) not in (None, "")
        ]
    if not parts and data.get("reason"):
        parts = [str(data["reason"])]
    return " ".join(parts)[:500] or None
