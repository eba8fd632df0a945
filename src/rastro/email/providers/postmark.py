"""Postmark's bounce, spam-complaint and delivery webhooks.

Postmark signs nothing: the webhook URL carries HTTP basic auth credentials, which are
compared in constant time (`verify`). Payloads: `RecordType` `Bounce` (with `Type`
`HardBounce`, `SoftBounce`, `Transient`…, `ID`, `Email`, `BouncedAt`, `MessageID`,
`Details`, `Metadata`), `SpamComplaint` (same fields), `Delivery` (`DeliveredAt`).
Our message id comes back in `Metadata.mid` when the message was sent with it, else the
`MessageID` is matched to the one Postmark returned at sending.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import datetime
from typing import Any, Literal

from rastro.email.providers.base import NoticeKind, ProviderEvent, parse_uuid

HARD_TYPES = frozenset(
    {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "Blocked", "SpamNotification"}
)


class PostmarkWebhook:
    source = "postmark"
    username = "rastro"

    def __init__(self, *, password: str) -> None:
        self._password = password

    def verify(self, authorization: str | None) -> bool:
        """Whether the request's `Authorization: Basic …` carries our credentials."""
        if not authorization or not authorization.lower().startswith("basic "):
            return False
        try:
            given = base64.b64decode(authorization[6:].strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = f"{self.username}:{self._password}".encode()
        return hmac.compare_digest(given, expected)

    def events(self, payload: Any) -> list[ProviderEvent] | None:
        """The notice of one webhook body; None when it is not a Postmark record."""
        if not isinstance(payload, dict) or not isinstance(payload.get("RecordType"), str):
            return None
        record = payload["RecordType"]
        raw_metadata = payload.get("Metadata")
        metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
        ours = parse_uuid(metadata.get("mid"))
        provider_id = (
            payload.get("MessageID") if isinstance(payload.get("MessageID"), str) else None
        )
        recipient = payload.get("Email") or payload.get("Recipient")
        address = recipient.strip().lower() if isinstance(recipient, str) else None
        if record in ("Bounce", "SpamComplaint"):
            if "ID" not in payload:
                return None
            kind: NoticeKind = "complaint" if record == "SpamComplaint" else "bounce"
            bounce_type: Literal["hard", "soft"] | None = None
            if kind == "bounce":
                bounce_type = "hard" if payload.get("Type") in HARD_TYPES else "soft"
            return [
                ProviderEvent(
                    kind=kind,
                    external_id=f"{record}:{payload['ID']}",
                    recipient=address,
                    message_id=ours,
                    provider_message_id=provider_id,
                    occurred_at=_time(payload.get("BouncedAt")),
                    bounce_type=bounce_type,
                    diagnostic=str(payload.get("Details") or payload.get("Type") or "")[:500]
                    or None,
                )
            ]
        if record == "Delivery":
            return [
                ProviderEvent(
                    kind="delivered",
                    external_id=f"Delivery:{provider_id}:{address}",
                    recipient=address,
                    message_id=ours,
                    provider_message_id=provider_id,
                    occurred_at=_time(payload.get("DeliveredAt")),
                )
            ]
        return []  # opens, clicks, subscription changes: ours come from our own tracking


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
