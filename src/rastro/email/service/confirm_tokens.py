"""Signed double opt-in links: `/e/confirm/{token}`.

A token is base64url(organization id | contact id | form id | issue time) followed by a
truncated HMAC-SHA256 of those bytes under a key derived for the organization from the
server's secret (a different derivation from the tracking tokens', so one kind can never
pass for the other). Anything that does not verify is `None` (a 404); a verified token
older than `MAX_AGE` is expired (a 410: the person subscribes again)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_PAYLOAD = struct.Struct(">16s16s16sQ")
MAC_BYTES = 12
MAX_AGE = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ConfirmToken:
    organization_id: uuid.UUID
    contact_id: uuid.UUID
    form_id: uuid.UUID
    issued_at: datetime

    @property
    def expired(self) -> bool:
        return datetime.now(UTC) - self.issued_at > MAX_AGE


def _mac(secret: str, organization_id: uuid.UUID, payload: bytes) -> bytes:
    key = hmac.new(secret.encode(), b"email-optin:" + organization_id.bytes, hashlib.sha256)
    return hmac.new(key.digest(), payload, hashlib.sha256).digest()[:MAC_BYTES]


def encode(secret: str, token: ConfirmToken) -> str:
    """The URL-safe text of a token (92 characters)."""
    payload = _PAYLOAD.pack(
        token.organization_id.bytes,
        token.contact_id.bytes,
        token.form_id.bytes,
        int(token.issued_at.timestamp()),
    )
    raw = payload + _mac(secret, token.organization_id, payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(secret: str, text: str) -> ConfirmToken | None:
    """The token `text` carries when its MAC verifies; else None."""
    if not 0 < len(text) <= 128:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _PAYLOAD.size + MAC_BYTES:
        return None
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    org, contact, form, issued = _PAYLOAD.unpack(payload)
    organization_id = uuid.UUID(bytes=org)
    if not hmac.compare_digest(mac, _mac(secret, organization_id, payload)):
        return None
    try:
        issued_at = datetime.fromtimestamp(issued, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return ConfirmToken(organization_id, uuid.UUID(bytes=contact), uuid.UUID(bytes=form), issued_at)
