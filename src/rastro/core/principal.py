"""Who is calling: a user (JWT) or an API key, always inside one organization.

`core` defines the shape and the FastAPI dependencies; the `auth` module provides the
`Authenticator` that turns a request into a `Principal` (set on `app.state.authenticator`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core import audit
from rastro.core.db import SYSTEM, Scope, set_scope
from rastro.core.errors import PermissionDenied
from rastro.core.session import crm_session, request_sessions


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "api_key"]
    id: uuid.UUID  # the user's id or the API key's id
    organization_id: uuid.UUID
    permissions: frozenset[str]
    role: str | None = None
    auth_session_id: uuid.UUID | None = None

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.id if self.kind == "user" else None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def scope(self) -> Scope:
        return Scope.organization(self.organization_id)


class Authenticator(Protocol):
    """Turns credentials into a principal; the session is in SYSTEM scope."""

    async def authenticate(self, request: Request, session: AsyncSession) -> Principal: ...

    async def authenticate_token(self, token: str, session: AsyncSession) -> Principal: ...


def require(
    permission: str | None = None, *, user_only: bool = False
) -> Callable[..., Awaitable[Principal]]:
    """Dependency: authenticate, narrow every session of the request to the caller's
    organization, and check `permission`."""

    async def dependency(
        request: Request, session: Annotated[AsyncSession, Depends(crm_session)]
    ) -> Principal:
        authenticator: Authenticator = request.app.state.authenticator
        await set_scope(session, SYSTEM)  # credentials are looked up across organizations
        principal = await authenticator.authenticate(request, session)
        request.state.principal = principal
        audit.note_permission(request, permission)
        for open_session in request_sessions(request):
            await set_scope(open_session, principal.scope)
        if user_only and principal.kind != "user":
            raise PermissionDenied("This endpoint is for signed-in users, not API keys.")
        if permission is not None and not principal.can(permission):
            raise PermissionDenied(
                f"Missing permission {permission!r}.", details={"permission": permission}
            )
        return principal

    return dependency
