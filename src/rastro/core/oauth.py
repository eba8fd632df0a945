"""OAuth 2.0 access tokens from a refresh token (RFC 6749 §6), cached in process.

A connector whose credential holds a refresh token asks `TokenCache.access_token` for a
bearer token before each request: the cache answers until shortly before the token
expires, else makes the refresh-token grant (`POST token_uri`, form-encoded
`grant_type=refresh_token`, `refresh_token`, `client_id`, `client_secret` → `{access_token,
expires_in}`) through the caller's `HttpClient` (its timeouts and retry policy). When the
platform answers 401 anyway (the token was revoked or expired early), the connector
`invalidate`s the entry and asks again, once.

Nothing here knows a platform; the token endpoint's URL comes with the grant. Tokens and
secrets are never logged nor put in an error message.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from rastro.core.http import HttpClient

# An access token is used until this long before it expires.
EXPIRY_MARGIN_SECONDS = 60.0
# When the token endpoint does not say (`expires_in` is RECOMMENDED, not required).
DEFAULT_EXPIRES_IN = 3600.0
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class OAuthError(Exception):
    """The refresh failed. `transient`: the token endpoint was unreachable or failing
    (5xx, 429, timeout); otherwise the grant was refused (e.g. `invalid_grant`: the refresh
    token was revoked or expired) and only reconnecting the account helps."""

    def __init__(self, message: str, *, transient: bool = False, code: str | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code


@dataclass(frozen=True)
class RefreshGrant:
    token_uri: str
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)

    def fingerprint(self) -> str:
        """Changes when any part of the grant does (a reconnected account, a new client)."""
        material = "\0".join(
            (self.token_uri, self.client_id, self.client_secret, self.refresh_token)
        )
        return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass
class _Entry:
    token: str = field(repr=False)
    expires_at: float  # time.monotonic()


@dataclass(frozen=True)
class Refreshed:
    access_token: str = field(repr=False)
    lifetime: float
    # A new refresh token when the server rotates them (the old one stops working).
    refresh_token: str | None = field(default=None, repr=False)


async def refresh(grant: RefreshGrant, http: HttpClient) -> Refreshed:
    """The refresh-token grant: a new access token, its lifetime in seconds and, when the
    server rotates refresh tokens, the new one. Raises `OAuthError`."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": grant.refresh_token,
        "client_id": grant.client_id,
        "client_secret": grant.client_secret,
    }
    try:
        # An absolute URL: the client's base URL (the platform's API) does not apply.
        response = await http.post(
            grant.token_uri, data=form, headers={"accept": "application/json"}
        )
    except httpx.TimeoutException:
        raise OAuthError(
            "OAuth refresh failed: the token endpoint timed out.", transient=True
        ) from None
    except httpx.TransportError as error:
        raise OAuthError(
            f"OAuth refresh failed: network error ({type(error).__name__}).", transient=True
        ) from None
    data = _json(response)
    status = response.status_code
    if status in TRANSIENT_STATUSES:
        raise OAuthError(
            f"OAuth refresh failed: the token endpoint answered {status}.", transient=True
        )
    if status != 200:
        code = str(data.get("error") or f"HTTP {status}")
        raise OAuthError(f"OAuth refresh failed: {code} — reconnect the account", code=code)
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise OAuthError("OAuth refresh failed: the token endpoint answered no access_token.")
    expires_in = data.get("expires_in")
    try:
        lifetime = float(expires_in) if expires_in is not None else DEFAULT_EXPIRES_IN
    except (TypeError, ValueError):
        lifetime = DEFAULT_EXPIRES_IN
    rotated = data.get("refresh_token")
    fresh = rotated if isinstance(rotated, str) and rotated != grant.refresh_token else None
    return Refreshed(token, lifetime, fresh or None)


class TokenCache:
    """Access tokens per credential, kept until `EXPIRY_MARGIN_SECONDS` before expiry.
    Concurrent callers for one credential share one refresh."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        # key → (the refresh token it replaced, the new one), until written back.
        self.rotations: dict[str, tuple[str, str]] = {}

    def current_grant(self, key: str, grant: RefreshGrant) -> RefreshGrant:
        """`grant` with the refresh token that replaced its own, when the server rotated it
        and the new one is not in the vault yet."""
        rotation = self.rotations.get(key)
        if rotation is not None and rotation[0] == grant.refresh_token:
            return replace(grant, refresh_token=rotation[1])
        return grant

    async def access_token(self, key: str, grant: RefreshGrant, http: HttpClient) -> str:
        grant = self.current_grant(key, grant)
        slot = (key, grant.fingerprint())
        entry = self._fresh(slot)
        if entry is not None:
            return entry.token
        lock = self._locks.setdefault(slot, asyncio.Lock())
        async with lock:
            entry = self._fresh(slot)  # another caller may have refreshed meanwhile
            if entry is not None:
                return entry.token
            fresh = await refresh(grant, http)
            if fresh.refresh_token is not None:
                first = self.rotations.get(key, (grant.refresh_token, ""))[0]
                self.rotations[key] = (first, fresh.refresh_token)
                slot = (key, replace(grant, refresh_token=fresh.refresh_token).fingerprint())
            margin = min(EXPIRY_MARGIN_SECONDS, fresh.lifetime / 2)
            self._entries[slot] = _Entry(
                fresh.access_token, self._clock() + fresh.lifetime - margin
            )
            return fresh.access_token

    def invalidate(self, key: str, token: str | None = None) -> None:
        """Drop the credential's cached token (only `token`, when given: a newer one that
        another caller already fetched stays)."""
        for slot in [s for s in self._entries if s[0] == key]:
            if token is None or self._entries[slot].token == token:
                del self._entries[slot]

    def clear(self) -> None:
        self._entries.clear()
        self._locks.clear()
        self.rotations.clear()

    def _fresh(self, slot: tuple[str, str]) -> _Entry | None:
        entry = self._entries.get(slot)
        if entry is None or self._clock() >= entry.expires_at:
            return None
        return entry


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
