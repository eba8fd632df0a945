"""Turns a bearer token (user JWT or `rk_` API key) into a `Principal`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.models import AuthSession, Membership, Organization, User
from rastro.auth.service import api_keys
from rastro.core.errors import InvalidToken, NotAuthenticated, TokenExpired
from rastro.core.permissions import permissions_for_role
from rastro.core.principal import Principal
from rastro.core.security import ExpiredToken, TokenError, decode_jwt


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    api_key = request.headers.get("x-api-key", "").strip()
    return api_key or None


class TokenAuthenticator:
    """Validates tokens against the database on every request, so revocation is immediate."""

    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key

    async def authenticate(self, request: Request, session: AsyncSession) -> Principal:
        token = bearer_token(request)
        if token is None:
            raise NotAuthenticated(headers={"WWW-Authenticate": "Bearer"})
        return await self.authenticate_token(token, session)

    async def authenticate_token(self, token: str, session: AsyncSession) -> Principal:
        """The session must be in SYSTEM scope (the organization is not known yet)."""
        if api_keys.is_api_key(token):
            verified = await api_keys.verify_api_key(session, token)
            if verified is None:
                raise InvalidToken("The API key is invalid or has been revoked.")
            return Principal(
                kind="api_key",
                id=verified.id,
                organization_id=verified.organization_id,
                permissions=verified.scopes,
            )
        try:
            claims = decode_jwt(self._secret_key, token, token_type="access")
            user_id = uuid.UUID(claims["sub"])
            auth_session_id = uuid.UUID(claims["sid"])
            organization_id = uuid.UUID(claims["org"])
        except ExpiredToken:
            raise TokenExpired() from None
        except (TokenError, KeyError, ValueError):
            raise InvalidToken() from None
        row = (
            await session.execute(
                select(Membership.role)
                .select_from(AuthSession)
                .join(User, User.id == AuthSession.user_id)
                .join(Membership, Membership.user_id == User.id)
                .join(Organization, Organization.id == Membership.organization_id)
                .where(
                    AuthSession.id == auth_session_id,
                    AuthSession.user_id == user_id,
                    AuthSession.organization_id == organization_id,
                    AuthSession.revoked_at.is_(None),
                    AuthSession.expires_at > datetime.now(UTC),
                    Membership.organization_id == organization_id,
                    Membership.is_active.is_(True),
                    User.is_active.is_(True),
                    Organization.is_active.is_(True),
                )
            )
        ).first()
        if row is None:
            raise InvalidToken()
        return Principal(
            kind="user",
            id=user_id,
            organization_id=organization_id,
            role=row[0],
            permissions=permissions_for_role(row[0]),
            auth_session_id=auth_session_id,
        )
