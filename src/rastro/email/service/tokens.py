"""Signed tracking tokens: the click link, the open pixel and the unsubscribe URL of one
message.

A token is base64url(kind | organization id | message id | link id) followed by a
truncated HMAC-SHA256 of those bytes, under a key derived for the organization from the
server's secret. Verification recomputes the MAC and compares it in constant time
(`hmac.compare_digest`); anything that does not verify — tampered, truncated, from another
organization or another kind — is `None`, which the routes answer with a 404. The link
id only names a row of `email_links`: the destination always comes from the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Kind = Literal["c", "o", "u"]  # click, open, unsubscribe
_KINDS: dict[str, bytes] = {"c": b"c", "o": b"o", "u": b"u"}
_PAYLOAD = struct.Struct(">c16s16sI")
MAC_BYTES = 12


@dataclass(frozen=True, slots=True)
class TrackingToken:
    kind: Kind
    organization_id: uuid.UUID
    message_id: uuid.UUID
    link_id: int = 0


@lru_cache(maxsize=4096)
def _key(secret: str, organization_id: uuid.UUID) -> bytes:
    """The organization's MAC key (kept: every click and open of its mail derives it)."""
    return hmac.new(
        secret.encode(), b"email-tracking:" + organization_id.bytes, hashlib.sha256
    ).digest()


def _mac(secret: str, organization_id: uuid.UUID, payload: bytes) -> bytes:
    return hmac.new(_key(secret, organization_id), payload, hashlib.sha256).digest()[:MAC_BYTES]


def encode(secret: str, token: TrackingToken) -> str:
    """The URL-safe text of a token (66 characters)."""
    payload = _PAYLOAD.pack(
        _KINDS[token.kind], token.organization_id.bytes, token.message_id.bytes, token.link_id
    )
    raw = payload + _mac(secret, token.organization_id, payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(secret: str, text: str, *, kind: Kind) -> TrackingToken | None:
    """The token `text` carries when its MAC verifies and it is of `kind`; else None."""
    if not 0 < len(text) <= 128:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _PAYLOAD.size + MAC_BYTES:
        return None
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    found_kind, org, message, link = _PAYLOAD.unpack(payload)
    organization_id = uuid.UUID(bytes=org)
    if not hmac.compare_digest(mac, _mac(secret, organization_id, payload)):
        return None
    if found_kind != _KINDS[kind]:
        return None
    return TrackingToken(kind, organization_id, uuid.UUID(bytes=message), link)


def webhook_password(secret: str, webhook_token: str, provider: str) -> str:
    """The basic-auth password of a provider webhook URL (Postmark sends no signature):
    derived from the server secret, so nothing more is stored."""
    digest = hmac.new(secret.encode(), f"{provider}:{webhook_token}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def signer(secret: str, organization_id: uuid.UUID) -> Callable[[Kind, uuid.UUID, int], str]:
    """`encode` for one organization (a sending batch signs five tokens a message): the
    MAC keyed once and copied per token, the organization's bytes taken once; the same
    text `encode` gives."""
    keyed, org = (
        hmac.new(_key(secret, organization_id), digestmod=hashlib.sha256),
        organization_id.bytes,
    )
    pack, b64 = _PAYLOAD.pack, base64.urlsafe_b64encode

    def sign(kind: Kind, message_id: uuid.UUID, link_id: int = 0) -> str:
        payload = pack(_KINDS[kind], org, message_id.bytes, link_id)
        mac = keyed.copy()
        mac.update(payload)
        return b64(payload + mac.digest()[:MAC_BYTES]).rstrip(b"=").decode()

    return sign
