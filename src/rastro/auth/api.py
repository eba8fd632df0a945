"""Routes of the auth module: sign-in, profile, organizations, members, API keys, credentials."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth import schemas
from rastro.auth.catalog import SERVICES
from rastro.auth.models import Credential, Membership, User
from rastro.auth.permissions import (
    ManageKeys,
    ManageMembers,
    ReadCredentials,
    ReadMembers,
    ReadOrganization,
    SignedIn,
    WriteCredentials,
    WriteOrganization,
)
from rastro.auth.service import accounts, api_keys, credentials, sign_in
from rastro.core.db import SYSTEM, set_scope
from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.permissions import api_key_scopes
from rastro.core.principal import Principal
from rastro.core.security import Keyring
from rastro.core.session import TransactionalRoute

auth_router = APIRouter(
    prefix="/api/auth", tags=["auth"], route_class=TransactionalRoute, responses=ERROR_RESPONSES
)
router = APIRouter(prefix="/api", route_class=TransactionalRoute, responses=ERROR_RESPONSES)


def _token_settings(request: Request) -> sign_in.TokenSettings:
    settings = request.app.state.settings
    return sign_in.TokenSettings(
        secret_key=settings.secret_key_value,
        access_lifetime=timedelta(minutes=settings.access_token_minutes),
        refresh_lifetime=timedelta(days=settings.refresh_token_days),
    )


async def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _pair(issued: sign_in.IssuedTokens) -> schemas.TokenPair:
    return schemas.TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
    )


# --- sign-in ---------------------------------------------------------------------------------


@auth_router.post("/login", response_model=schemas.TokenPair)
async def login(
    body: schemas.LoginRequest, request: Request, session: CrmSession
) -> schemas.TokenPair:
    """Sign in with e-mail and password; returns an access and a refresh token."""
    settings = request.app.state.settings
    limits = sign_in.LoginLimits(
        max_failures_per_account=settings.login_max_failures_per_account,
        max_failures_per_ip=settings.login_max_failures_per_ip,
        window=timedelta(minutes=settings.login_window_minutes),
    )
    await set_scope(session, SYSTEM)
    issued = await sign_in.login(
        session,
        email=body.email,
        password=body.password,
        ip=_client_ip(request),
        user_agent=request.headers.get("user-agent"),
        tokens=_token_settings(request),
        limits=limits,
    )
    return _pair(issued)


@auth_router.post("/refresh", response_model=schemas.TokenPair)
async def refresh(
    body: schemas.RefreshRequest, request: Request, session: CrmSession
) -> schemas.TokenPair:
    """Exchange a refresh token for a new token pair (the refresh token rotates)."""
    await set_scope(session, SYSTEM)
    return _pair(
        await sign_in.refresh(
            session, refresh_token=body.refresh_token, tokens=_token_settings(request)
        )
    )


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: SignedIn, session: CrmSession) -> Response:
    """Sign out: the access and refresh tokens of this session stop working."""
    assert principal.auth_session_id is not None
    await sign_in.logout(session, auth_session_id=principal.auth_session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _me(session: AsyncSession, principal: Principal) -> schemas.Me:
    assert principal.user_id is not None
    assert principal.role is not None
    user = await accounts.get_user(session, principal.user_id)
    organizations = await accounts.organizations_of_user(session, user.id)
    current = next(org for org, _ in organizations if org.id == principal.organization_id)
    return schemas.Me(
        id=user.id,
        email=user.email,
        name=user.name,
        locale=user.locale,
        theme=user.theme,
        organization=schemas.CurrentOrganization.model_validate(current),
        role=principal.role,
        organizations=[
            schemas.OrganizationWithRole(id=org.id, name=org.name, slug=org.slug, role=role)
            for org, role in organizations
        ],
        permissions=sorted(principal.permissions),
    )


@auth_router.get("/me", response_model=schemas.Me)
async def me(principal: SignedIn, session: CrmSession) -> schemas.Me:
    """The signed-in user, the current organization, role and permissions."""
    return await _me(session, principal)


@auth_router.patch("/me", response_model=schemas.Me)
async def update_me(body: schemas.MeUpdate, principal: SignedIn, session: CrmSession) -> schemas.Me:
    """Change the signed-in user's name, language or theme."""
    assert principal.user_id is not None
    await accounts.update_profile(session, principal.user_id, body.model_dump(exclude_none=True))
    return await _me(session, principal)


@auth_router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: schemas.PasswordChange, principal: SignedIn, session: CrmSession
) -> Response:
    """Change the password; every other sign-in session of the user is ended."""
    assert principal.user_id is not None
    await accounts.change_password(
        session,
        principal.user_id,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=principal.auth_session_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth_router.post("/switch-organization", response_model=schemas.TokenPair)
async def switch_organization(
    body: schemas.SwitchOrganizationRequest,
    principal: SignedIn,
    request: Request,
    session: CrmSession,
) -> schemas.TokenPair:
    """Continue the session in another organization of the user; returns new tokens."""
    assert principal.auth_session_id is not None
    return _pair(
        await sign_in.switch_organization(
            session,
            auth_session_id=principal.auth_session_id,
            organization_id=body.organization_id,
            tokens=_token_settings(request),
        )
    )


# --- organizations -----------------------------------------------------------------------------


@router.get(
    "/organizations", response_model=list[schemas.OrganizationWithRole], tags=["organizations"]
)
async def list_organizations(
    principal: SignedIn, session: CrmSession
) -> list[schemas.OrganizationWithRole]:
    """The organizations the signed-in user belongs to."""
    assert principal.user_id is not None
    return [
        schemas.OrganizationWithRole(id=org.id, name=org.name, slug=org.slug, role=role)
        for org, role in await accounts.organizations_of_user(session, principal.user_id)
    ]


@router.post(
    "/organizations",
    response_model=schemas.OrganizationWithRole,
    status_code=status.HTTP_201_CREATED,
    tags=["organizations"],
)
async def create_organization(
    body: schemas.OrganizationCreate, principal: SignedIn, session: CrmSession
) -> schemas.OrganizationWithRole:
    """Create an organization; its creator becomes its administrator."""
    assert principal.user_id is not None
    user = await accounts.get_user(session, principal.user_id)
    org = await accounts.create_organization(session, name=body.name, admin=user)
    return schemas.OrganizationWithRole(id=org.id, name=org.name, slug=org.slug, role="admin")


@router.get("/organization", response_model=schemas.Organization, tags=["organizations"])
async def get_current_organization(
    principal: ReadOrganization,
    session: CrmSession,
) -> schemas.Organization:
    """The caller's organization."""
    return schemas.Organization.model_validate(
        await accounts.get_organization(session, principal.organization_id)
    )


@router.patch("/organization", response_model=schemas.Organization, tags=["organizations"])
async def update_current_organization(
    body: schemas.OrganizationUpdate,
    principal: WriteOrganization,
    session: CrmSession,
) -> schemas.Organization:
    """Change the organization's name, time zone, currency, language or country."""
    return schemas.Organization.model_validate(
        await accounts.update_organization(
            session, principal.organization_id, body.model_dump(exclude_none=True)
        )
    )


# --- members -----------------------------------------------------------------------------------


def _member(membership: Membership, user: User) -> schemas.Member:
    return schemas.Member(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=membership.role,
        is_active=membership.is_active,
        created_at=membership.created_at,
    )


@router.get("/members", response_model=Page[schemas.Member], tags=["members"])
async def list_members(
    _: ReadMembers,
    session: CrmSession,
    params: Pagination,
) -> Page[schemas.Member]:
    """Users of the organization with their roles."""
    rows, total = await accounts.list_members(session, params)
    return Page.of([_member(m, u) for m, u in rows], total, params)


@router.patch("/members/{user_id}", response_model=schemas.Member, tags=["members"])
async def update_member(
    user_id: uuid.UUID,
    body: schemas.MemberUpdate,
    _: ManageMembers,
    session: CrmSession,
) -> schemas.Member:
    """Change a member's role, or deactivate / reactivate them in this organization."""
    membership, user = await accounts.update_member(
        session, user_id, role=body.role, is_active=body.is_active
    )
    return _member(membership, user)


# --- API keys ----------------------------------------------------------------------------------


@router.get("/api-keys/scopes", response_model=list[schemas.ScopeInfo], tags=["api keys"])
async def list_scopes(_: ManageKeys) -> list[schemas.ScopeInfo]:
    """Scopes an API key can be given."""
    return [schemas.ScopeInfo(scope=s.name, description=s.description) for s in api_key_scopes()]


@router.get("/api-keys", response_model=Page[schemas.ApiKey], tags=["api keys"])
async def list_api_keys(
    _: ManageKeys, session: CrmSession, params: Pagination
) -> Page[schemas.ApiKey]:
    """The organization's API keys (never the keys themselves)."""
    rows, total = await api_keys.list_api_keys(session, params)
    return Page.of([schemas.ApiKey.model_validate(k) for k in rows], total, params)


@router.post(
    "/api-keys",
    response_model=schemas.ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["api keys"],
)
async def create_api_key(
    body: schemas.ApiKeyCreate, principal: ManageKeys, session: CrmSession
) -> schemas.ApiKeyCreated:
    """Create an API key with scopes. The key is in this response only."""
    api_key, plaintext = await api_keys.create_api_key(
        session, name=body.name, scopes=body.scopes, created_by_id=principal.user_id
    )
    return schemas.ApiKeyCreated(api_key=schemas.ApiKey.model_validate(api_key), key=plaintext)


@router.delete("/api-keys/{api_key_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["api keys"])
async def revoke_api_key(api_key_id: uuid.UUID, _: ManageKeys, session: CrmSession) -> Response:
    """Revoke an API key: it stops working at once."""
    await api_keys.revoke_api_key(session, api_key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- credentials ---------------------------------------------------------------------------------

KeyringDep = Annotated[Keyring, Depends(_keyring)]


def _credential(credential: Credential) -> schemas.Credential:
    return schemas.Credential(
        id=credential.id,
        name=credential.name,
        service=credential.service,
        api_key_masked=credentials.masked(credential.api_key_hint) or "",
        api_secret_masked=credentials.masked(credential.api_secret_hint),
        api_url=credential.api_url,
        settings=credentials.masked_settings(credential),
        is_active=credential.is_active,
        created_at=credential.created_at,
        updated_at=credential.updated_at,
    )


@router.get("/credentials/services", response_model=list[schemas.ServiceInfo], tags=["credentials"])
async def list_services(_: ReadCredentials) -> list[schemas.ServiceInfo]:
    """Services a credential can be for, with their default base URL and settings fields."""
    return [
        schemas.ServiceInfo(
            service=s.service,
            label=s.label,
            default_api_url=s.default_api_url,
            needs_secret=s.needs_secret,
            settings_fields=[
                schemas.SettingFieldInfo(
                    name=f.name, label=f.label, required=f.required, secret=f.secret
                )
                for f in s.settings_fields
            ],
        )
        for s in SERVICES.values()
    ]


@router.get("/credentials", response_model=Page[schemas.Credential], tags=["credentials"])
async def list_credentials(
    _: ReadCredentials, session: CrmSession, params: Pagination, service: str | None = None
) -> Page[schemas.Credential]:
    """The organization's credentials; secrets are masked."""
    rows, total = await credentials.list_credentials(session, params, service=service)
    return Page.of([_credential(c) for c in rows], total, params)


@router.post(
    "/credentials",
    response_model=schemas.Credential,
    status_code=status.HTTP_201_CREATED,
    tags=["credentials"],
)
async def create_credential(
    body: schemas.CredentialCreate,
    principal: WriteCredentials,
    session: CrmSession,
    keyring: KeyringDep,
) -> schemas.Credential:
    """Store a service account; its key and secret are encrypted and never returned."""
    return _credential(
        await credentials.create_credential(
            session,
            keyring,
            name=body.name,
            service=body.service,
            api_key=body.api_key,
            api_secret=body.api_secret,
            api_url=str(body.api_url) if body.api_url else None,
            settings=body.settings,
            is_active=body.is_active,
            created_by_id=principal.user_id,
        )
    )


@router.get("/credentials/{credential_id}", response_model=schemas.Credential, tags=["credentials"])
async def get_credential(
    credential_id: uuid.UUID, _: ReadCredentials, session: CrmSession
) -> schemas.Credential:
    """One credential, secrets masked."""
    return _credential(await credentials.get_credential(session, credential_id))


@router.put("/credentials/{credential_id}", response_model=schemas.Credential, tags=["credentials"])
async def update_credential(
    credential_id: uuid.UUID,
    body: schemas.CredentialUpdate,
    _: WriteCredentials,
    session: CrmSession,
    keyring: KeyringDep,
) -> schemas.Credential:
    """Change a credential; omitted secrets are kept, `api_url: null` clears the override."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("api_url") is not None:
        changes["api_url"] = str(changes["api_url"])
    return _credential(
        await credentials.update_credential(session, keyring, credential_id, changes)
    )


@router.delete(
    "/credentials/{credential_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["credentials"]
)
async def delete_credential(
    credential_id: uuid.UUID, _: WriteCredentials, session: CrmSession
) -> Response:
    """Delete a credential."""
    await credentials.delete_credential(session, credential_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
