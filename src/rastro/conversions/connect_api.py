"""Routes of "Connect an ad account" (rastro.conversions.service.connect): start the
platform's authorization, its callback, the accounts the connection reaches and the pick.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from rastro.auth.permissions import WriteCredentials
from rastro.conversions.service import connect
from rastro.conversions.service.connect_providers import ConnectError
from rastro.core.db import Scope
from rastro.core.deps import CrmSession
from rastro.core.errors import (
    ERROR_RESPONSES,
    PermissionDenied,
    UnprocessableEntity,
    error_body,
)
from rastro.core.http import HttpClient
from rastro.core.security import Keyring
from rastro.core.session import TransactionalRoute
from rastro.core.units import TransactionBoundary

log = structlog.get_logger(__name__)

router = APIRouter(
    prefix="/api/conversions/connect",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["conversions"],
)
CALLBACK = "/api/conversions/connect/callback"


async def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


KeyringDep = Annotated[Keyring, Depends(_keyring)]


def _redirect_uri(request: Request) -> str:
    return str(request.base_url).rstrip("/") + CALLBACK


@asynccontextmanager
async def _http(base_url: str) -> AsyncIterator[HttpClient]:
    client = HttpClient(base_url, timeout=15.0)
    try:
        yield client
    finally:
        await client.aclose()


class ConnectStart(BaseModel):
    authorization_url: str


class ConnectAccount(BaseModel):
    id: str
    name: str
    manager: bool = False
    login_customer_id: str | None = None
    pixels: list[dict[str, str]] = Field(default_factory=list)


class AccountPick(BaseModel):
    account_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:.-]+$")]
    pixel_id: Annotated[str | None, Field(max_length=64)] = None
    pixel_code: Annotated[str | None, Field(max_length=64)] = Field(
        None, description="TikTok: the pixel code events go to"
    )


@router.post("/{platform}/start", response_model=ConnectStart)
async def start_connection(
    platform: str,
    request: Request,
    principal: WriteCredentials,
    session: CrmSession,
    keyring: KeyringDep,
    reconnect: Annotated[
        uuid.UUID | None, Query(description="The credential whose tokens to replace")
    ] = None,
) -> ConnectStart:
    """The platform's authorization page to send the browser to, with the organization's
    app and a signed state valid for ten minutes."""
    if principal.user_id is None:
        raise PermissionDenied("A member connects an account (not an API key).")
    found = connect.provider(platform)
    if reconnect is not None:
        connect.platform_of(await _service(session, reconnect))  # this organization's, 404
    app = await connect.app_credential(session, keyring, found)
    state = connect.make_state(
        request.app.state.settings.secret_key_value,
        connect.ConnectState(
            principal.organization_id, principal.id, found.platform, time.time() + 600, reconnect
        ),
    )
    return ConnectStart(
        authorization_url=found.authorization_url(app, _redirect_uri(request), state)
    )


@router.get(
    "/callback",
    response_class=RedirectResponse,
    status_code=303,
    responses={
        303: {"description": "To Settings > Credentials: the account picker, or why it failed"},
        400: {
            "description": "The state is not valid or expired: start again",
            "content": {"application/json": {"example": error_body("bad_request", "…")}},
        },
    },
)
async def connection_callback(
    request: Request,
    state: Annotated[str, Query(max_length=2000)],
    code: Annotated[str | None, Query(max_length=4000)] = None,
    auth_code: Annotated[str | None, Query(max_length=4000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Where the platform sends the browser back: the code is exchanged and kept in a new
    credential, then the dashboard opens to pick the account (or says why it failed)."""
    found_state = connect.read_state(request.app.state.settings.secret_key_value, state)
    target = f"/settings/credentials?connect={found_state.platform}"
    given = code or auth_code  # TikTok names it auth_code
    if error or not given:
        return RedirectResponse(f"{target}&error=denied", status_code=303)
    boundary = TransactionBoundary(request.app.state.databases.crm)
    keyring: Keyring = request.app.state.keyring
    try:
        async with boundary.unit(Scope.organization(found_state.organization_id)) as session:
            app = await connect.app_credential(
                session, keyring, connect.provider(found_state.platform)
            )
            async with _http(app.base_url or "") as http:
                credential_id = await connect.complete_connection(
                    session,
                    keyring,
                    http,
                    state=found_state,
                    code=given,
                    redirect_uri=_redirect_uri(request),
                )
    except ConnectError as failure:
        log.warning("connect_failed", platform=found_state.platform, code=failure.code)
        return RedirectResponse(f"{target}&error=refused", status_code=303)
    return RedirectResponse(f"{target}&credential={credential_id}", status_code=303)


@router.get("/{credential_id}/accounts", response_model=list[ConnectAccount])
async def connection_accounts(
    credential_id: uuid.UUID, _: WriteCredentials, session: CrmSession, keyring: KeyringDep
) -> list[ConnectAccount]:
    """The ad accounts the connected credential's token reaches (Google's with the manager
    to log in through, Meta's with their pixels)."""
    found = connect.platform_of(await _service(session, credential_id))
    app = await connect.app_credential(session, keyring, found)
    async with _http(app.base_url or "") as http:
        try:
            accounts = await connect.accounts_of(session, keyring, http, credential_id)
        except ConnectError as failure:
            raise UnprocessableEntity(
                "The platform refused the connection: reconnect the account.",
                details=[{"loc": "credential", "message": failure.code, "type": "reconnect"}],
            ) from None
    return [
        ConnectAccount(
            id=a.id,
            name=a.name,
            manager=a.manager,
            login_customer_id=a.login_customer_id,
            pixels=[{"id": p, "name": n} for p, n in a.pixels],
        )
        for a in accounts
    ]


@router.put("/{credential_id}/account", status_code=204)
async def pick_account(
    credential_id: uuid.UUID,
    body: AccountPick,
    _: WriteCredentials,
    session: CrmSession,
    keyring: KeyringDep,
) -> None:
    """Keep the picked account in the credential and activate it."""
    found = connect.platform_of(await _service(session, credential_id))
    app = await connect.app_credential(session, keyring, found)
    extra = {"pixel_code": body.pixel_code} if body.pixel_code else {}
    async with _http(app.base_url or "") as http:
        try:
            await connect.choose_account(
                session,
                keyring,
                http,
                credential_id,
                account_id=body.account_id,
                pixel_id=body.pixel_id,
                extra=extra,
            )
        except ConnectError as failure:
            raise UnprocessableEntity(
                "The platform refused the connection: reconnect the account.",
                details=[{"loc": "credential", "message": failure.code, "type": "reconnect"}],
            ) from None


async def _service(session: CrmSession, credential_id: uuid.UUID) -> str:
    from rastro.auth.service import credentials

    return (await credentials.get_credential(session, credential_id)).service
