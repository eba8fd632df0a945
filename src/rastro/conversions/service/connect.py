"""Connect an ad account: the OAuth authorization-code flow with the organization's own app
(its client id and secret in the vault), a credential made from the tokens the platform
issues (inactive until an account is picked), the accounts the token reaches, and the
pick that completes and activates the credential.

The `state` parameter carries the organization, the member and the platform, signed with
the server's secret key and valid for ten minutes: the callback, which the browser reaches
without our bearer token, trusts nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.auth.service.credentials import ResolvedCredential
from rastro.conversions.service import platform_oauth
from rastro.conversions.service.connect_providers import (
    PROVIDERS,
    AdAccount,
    ConnectError,
    Provider,
    exchange,
    list_accounts,
)
from rastro.core.errors import BadRequest, NotFound, UnprocessableEntity
from rastro.core.http import HttpClient
from rastro.core.oauth import OAuthError, RefreshGrant, refresh
from rastro.core.pagination import PageParams
from rastro.core.security import Keyring

STATE_SECONDS = 600


@dataclass(frozen=True)
class ConnectState:
    organization_id: uuid.UUID
    user_id: uuid.UUID
    platform: str
    expires_at: float
    # Reconnecting: the credential whose tokens the new ones replace.
    credential_id: uuid.UUID | None = None


def provider(platform: str) -> Provider:
    found = PROVIDERS.get(platform)
    if found is None:
        raise NotFound("No such platform to connect.")
    return found


def _sign(secret: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def make_state(secret: str, state: ConnectState) -> str:
    body = orjson.dumps(
        {
            "o": str(state.organization_id),
            "u": str(state.user_id),
            "p": state.platform,
            "e": int(state.expires_at),
            "c": str(state.credential_id) if state.credential_id else None,
            "n": uuid.uuid4().hex,
        }
    )
    encoded = base64.urlsafe_b64encode(body).decode().rstrip("=")
    return f"{encoded}.{_sign(secret, body)}"


def read_state(secret: str, token: str, *, now: float | None = None) -> ConnectState:
    """The state the callback got back; BadRequest when tampered with or expired."""
    try:
        encoded, mac = token.split(".", 1)
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not hmac.compare_digest(mac, _sign(secret, body)):
            raise ValueError("signature")
        data = orjson.loads(body)
        state = ConnectState(
            uuid.UUID(data["o"]),
            uuid.UUID(data["u"]),
            str(data["p"]),
            float(data["e"]),
            uuid.UUID(data["c"]) if data.get("c") else None,
        )
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise BadRequest("The connection link is not valid: start again.") from None
    if state.expires_at < (now if now is not None else time.time()):
        raise BadRequest("The connection link expired: start again.")
    return state


async def app_credential(
    session: AsyncSession, keyring: Keyring, found: Provider
) -> ResolvedCredential:
    """The organization's active OAuth app of the platform (422 when there is none)."""
    rows, _ = await credentials.list_credentials(
        session, PageParams(page=1, page_size=200), service=found.app_service
    )
    active = [c for c in rows if c.is_active]
    if not active:
        raise UnprocessableEntity(
            "Add the platform's app (client id and secret) under Credentials first.",
            details=[{"loc": "platform", "message": "no_app", "type": "no_app"}],
        )
    return await credentials.resolve_credential(session, keyring, active[0].id)


async def complete_connection(
    session: AsyncSession,
    keyring: Keyring,
    http: HttpClient,
    *,
    state: ConnectState,
    code: str,
    redirect_uri: str,
) -> uuid.UUID:
    """Exchange the code and keep the tokens in a new, inactive credential of the
    platform's service; returns its id."""
    found = provider(state.platform)
    app = await app_credential(session, keyring, found)
    tokens = await exchange(found, app, http, code, redirect_uri)
    settings: dict[str, Any] = {"connected_by_oauth": "true"}
    if found.platform in ("google", "linkedin"):
        if not tokens.refresh_token:
            raise ConnectError("The platform issued no refresh token.", code="no_refresh_token")
        settings["oauth_client_id"] = app.api_key
        token_url = found.token_endpoint(app)
        if token_url and token_url != found.token_url:
            settings["oauth_token_uri"] = token_url
        if found.platform == "google":
            settings["api"] = "ads"
            if app.settings.get("developer_token"):
                settings["developer_token"] = str(app.settings["developer_token"])
        api_key, api_secret = tokens.refresh_token, app.api_secret
    else:
        api_key, api_secret = tokens.access_token, None
    if state.credential_id is not None:
        # Reconnecting: new tokens for the same credential (its account stays picked).
        existing = await credentials.get_credential(session, state.credential_id)
        if existing.service != found.service:
            raise ConnectError("That credential is of another platform.", code="mismatch")
        await credentials.update_credential(
            session,
            keyring,
            existing.id,
            {
                "api_key": api_key,
                "api_secret": api_secret,
                "settings": {**existing.settings, **settings},
            },
        )
        platform_oauth.TOKENS.rotations.pop(str(existing.id), None)
        return existing.id
    created = await credentials.create_credential(
        session,
        keyring,
        name=f"{found.platform.capitalize()} (connected)",
        service=found.service,
        api_key=api_key,
        api_secret=api_secret,
        api_url=app.base_url if app.base_url != _default_url(found.app_service) else None,
        settings=settings,
        is_active=False,
        created_by_id=state.user_id,
        complete=False,
    )
    return created.id


def _default_url(service: str) -> str | None:
    from rastro.auth.catalog import SERVICES

    spec = SERVICES.get(service)
    return spec.default_api_url if spec else None


async def access_token(found: Provider, connected: ResolvedCredential, http: HttpClient) -> str:
    """A bearer token of a connected credential (a refresh for Google and LinkedIn)."""
    if found.platform not in ("google", "linkedin"):
        return connected.api_key
    grant = RefreshGrant(
        token_uri=str(connected.settings.get("oauth_token_uri") or found.token_url),
        client_id=str(connected.settings.get("oauth_client_id") or ""),
        client_secret=connected.api_secret or "",
        refresh_token=connected.api_key,
    )
    try:
        fresh = await refresh(grant, http)
    except OAuthError as error:
        raise ConnectError(str(error), code=error.code or "refresh_failed") from None
    if fresh.refresh_token is not None:
        platform_oauth.TOKENS.rotations[str(connected.id)] = (
            connected.api_key,
            fresh.refresh_token,
        )
    return fresh.access_token


def platform_of(service: str) -> Provider:
    for found in PROVIDERS.values():
        if found.service == service:
            return found
    raise NotFound("This credential was not connected through a platform.")


async def accounts_of(
    session: AsyncSession, keyring: Keyring, http: HttpClient, credential_id: uuid.UUID
) -> list[AdAccount]:
    connected = await credentials.resolve_credential(session, keyring, credential_id)
    found = platform_of(connected.service)
    app = await app_credential(session, keyring, found)
    token = await access_token(found, connected, http)
    await platform_oauth.persist_rotations(session, keyring)
    return await list_accounts(found, app, http, token)


async def choose_account(
    session: AsyncSession,
    keyring: Keyring,
    http: HttpClient,
    credential_id: uuid.UUID,
    *,
    account_id: str,
    pixel_id: str | None,
    extra: dict[str, str],
) -> None:
    """Keep the picked account (one the token reaches) in the credential and activate it."""
    accounts = await accounts_of(session, keyring, http, credential_id)
    picked = next((a for a in accounts if a.id == account_id), None)
    if picked is None:
        raise UnprocessableEntity(
            "That account is not one this connection reaches.",
            details=[{"loc": "body.account_id", "message": "unknown", "type": "unknown"}],
        )
    credential = await credentials.get_credential(session, credential_id)
    settings = {**credential.settings, **extra}
    service = credential.service
    if service == "google_ads":
        settings["customer_id"] = picked.id
        if picked.login_customer_id:
            settings["login_customer_id"] = picked.login_customer_id
    elif service == "meta":
        pixels = {p for p, _ in picked.pixels}
        if not pixel_id or (pixels and pixel_id not in pixels):
            raise UnprocessableEntity(
                "Pick one of the account's pixels.",
                details=[{"loc": "body.pixel_id", "message": "unknown", "type": "unknown"}],
            )
        settings["pixel_id"] = pixel_id
        settings["ad_account_id"] = picked.id
    elif service == "linkedin":
        settings["ad_account_id"] = picked.id
    else:
        settings["advertiser_id"] = picked.id
    await credentials.update_credential(
        session,
        keyring,
        credential_id,
        {
            "settings": settings,
            "is_active": True,
            "name": f"{credential.name.split(' (')[0]} · {picked.name}"[:200],
        },
    )
