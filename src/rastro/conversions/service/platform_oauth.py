"""OAuth bearer tokens of the ad-platform credentials, shared by every caller of the
platforms' APIs: the conversion connectors and, through this service, the analytics
module's spend importers.

A credential is an OAuth one when its settings have `oauth_client_id`: its `api_key` is
then the refresh token and its `api_secret` the client secret; `oauth_token_uri` (else the
platform's default) is the token endpoint. Otherwise its `api_key` is the access token.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.errors import NotFound
from rastro.core.http import HttpClient
from rastro.core.oauth import RefreshGrant, TokenCache
from rastro.core.security import Keyring

# Access tokens of OAuth credentials, per credential, for the life of the process.
TOKENS = TokenCache()


class MissingClientSecret(Exception):
    """The credential names an OAuth client but holds no client secret."""


def refresh_grant(
    credential: ResolvedCredential, default_token_uri: str | None
) -> RefreshGrant | None:
    """The refresh-token grant of an OAuth credential (None: the `api_key` is the access
    token itself, or the platform has no OAuth refresh). Raises `MissingClientSecret`."""
    client_id = str(credential.settings.get("oauth_client_id") or "").strip()
    if not client_id or default_token_uri is None:
        return None
    if not credential.api_secret:
        raise MissingClientSecret(
            "The credential has oauth_client_id but no secret: the secret must hold the "
            "OAuth client secret."
        )
    token_uri = str(credential.settings.get("oauth_token_uri") or "").strip()
    return RefreshGrant(
        token_uri=token_uri or default_token_uri,
        client_id=client_id,
        client_secret=credential.api_secret,
        refresh_token=credential.api_key,
    )


async def authorized(
    credential: ResolvedCredential,
    http: HttpClient,
    call: Callable[[str], Awaitable[httpx.Response]],
    *,
    default_token_uri: str | None,
) -> httpx.Response:
    """`call(access_token)` with the bearer token fresh from the cache or the token
    endpoint for an OAuth credential (the `api_key` otherwise). A 401 drops the cached
    token, refreshes once and calls again once. A failed refresh raises
    `rastro.core.oauth.OAuthError`; a credential without its client secret
    `MissingClientSecret`."""
    grant = refresh_grant(credential, default_token_uri)
    if grant is None:
        return await call(credential.api_key)
    key = str(credential.id)
    token = await TOKENS.access_token(key, grant, http)
    response = await call(token)
    if response.status_code != 401:
        return response
    TOKENS.invalidate(key, token)
    return await call(await TOKENS.access_token(key, grant, http))


async def persist_rotations(session: AsyncSession, keyring: Keyring) -> int:
    """Write back into the vault the refresh tokens that servers rotated (the old ones no
    longer work) for the credentials `session`'s organization can see; returns how many.
    The token cache keeps using the new ones meanwhile."""
    written = 0
    for key, (old, new) in list(TOKENS.rotations.items()):
        try:
            credential_id = uuid.UUID(key)
            await credentials.update_credential(session, keyring, credential_id, {"api_key": new})
        except (ValueError, NotFound):
            continue  # another organization's credential, or deleted since
        if TOKENS.rotations.get(key) == (old, new):
            del TOKENS.rotations[key]
        written += 1
    return written
