"""Mailgun webhooks as Mailgun posts them
(documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks and the
event-data of its events): `{"signature": {"timestamp", "token", "signature"},
"event-data": {...}}`, the signature the hex HMAC-SHA256 of timestamp + token under the
HTTP webhook signing key; the token is a random 50-character string."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from typing import Any


def signed(
    signing_key: str,
    event_data: dict[str, Any],
    *,
    timestamp: int | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    token = token or secrets.token_hex(25)
    signature = hmac.new(
        signing_key.encode(), f"{stamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return {
        "signature": {"timestamp": stamp, "token": token, "signature": signature},
        "event-data": event_data,
    }


def event(kind: str, *, email: str, mid: uuid.UUID, **fields: Any) -> dict[str, Any]:
    """One event-data with our user variable and the message's headers."""
    return {
        "id": secrets.token_urlsafe(16),
        "timestamp": time.time(),
        "log-level": "info",
        "event": kind,
        "recipient": email,
        "recipient-domain": email.rsplit("@", 1)[-1],
        "message": {
            "headers": {
                "message-id": f"{mid.hex}.1@loja.com.br",
                "from": "Loja <news@loja.com.br>",
                "to": email,
                "subject": "Oferta",
            },
        },
        "user-variables": {"rastro_mid": str(mid)},
        "tags": [],
        **fields,
    }


def failed(*, email: str, mid: uuid.UUID, permanent: bool) -> dict[str, Any]:
    return event(
        "failed",
        email=email,
        mid=mid,
        severity="permanent" if permanent else "temporary",
        reason="bounce" if permanent else "generic",
        **{
            "delivery-status": {
                "code": 550 if permanent else 452,
                "message": "5.1.1 No such user" if permanent else "4.2.2 Mailbox full",
                "description": "",
                "attempt-no": 1,
            }
        },
    )
