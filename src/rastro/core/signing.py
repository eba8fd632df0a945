"""Rastro's outbound webhook signature, one scheme for every module that sends webhooks
(integrations' lead webhook, analytics' alerts).

Headers of a signed request: `X-Rastro-Timestamp` (Unix seconds when the attempt was
signed) and `X-Rastro-Signature` = `sha256=` + hex HMAC-SHA256(secret, timestamp + "." +
raw body). A receiver recomputes it over the raw body bytes with the shared secret,
compares in constant time and rejects timestamps older than `TOLERANCE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "x-rastro-signature"
TIMESTAMP_HEADER = "x-rastro-timestamp"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Rastro-Signature` value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The timestamp and signature headers of one attempt to send `body`."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None
) -> bool:
    """Whether `signature` signs `body` at `timestamp` with `secret`, within the tolerance."""
    if not timestamp.isdigit():
        return False
    moment = time.time() if now is None else now
    if abs(moment - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower())
