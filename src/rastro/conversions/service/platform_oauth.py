"""OAuth bearer tokens of the ad-platform credentials, shared by every caller of the
platforms' APIs: the conversion connectors and, through this service, the analytics
module's spend importers.

A credential is an OAuth one when its settings have `oauth_client_id`: its `api_key` is
then the refresh token and its `api_secret` the client secret; `oauth_token_uri` (else the
platform's default) is the token endpoint. Otherwise its `api_key` is the access token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.http import HttpClient
from rastro.core.oauth import RefreshGrant, TokenCache

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
