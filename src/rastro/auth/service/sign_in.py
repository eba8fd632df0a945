"""Sign-in: login limits, access and refresh tokens, sign-in sessions, logout."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth import errors
from rastro.auth.models import (
    AuthSession,
    LoginAttempt,
    Membership,
    Organization,
    PasswordReset,
    User,
)
from rastro.auth.service.accounts import (
    get_user_by_email,
    normalize_email,
    organizations_of_user,
    utcnow,
)
from rastro.core.db import Scope, scoped
from rastro.core.errors import InvalidToken, NotFound
from rastro.core.security import (
    encode_jwt,
    hash_password,
    new_token,
    password_needs_rehash,
    sha256_hex,
    verify_password,
)


@dataclass(frozen=True)
class TokenSettings:
    secret_key: str
    access_lifetime: timedelta
    refresh_lifetime: timedelta


@dataclass(frozen=True)
class LoginLimits:
    max_failures_per_account: int
    max_failures_per_ip: int
    window: timedelta


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


async def _recent_failures(
    session: AsyncSession, *conditions: Any, since: datetime
) -> list[datetime]:
    rows = await session.scalars(
        select(LoginAttempt.created_at)
        .where(LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since, *conditions)
        .order_by(LoginAttempt.created_at)
    )
    return list(rows)


async def check_login_allowed(
    session: AsyncSession, *, email: str, ip: str | None, limits: LoginLimits
) -> None:
    """Raise `TooManyLoginAttempts` (with Retry-After) past the per-account or per-IP limit."""
    now = utcnow()
    since = now - limits.window
    email_hash = sha256_hex(normalize_email(email))
    last_success = await session.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.email_hash == email_hash, LoginAttempt.succeeded.is_(True)
        )
    )
    account = await _recent_failures(
        session, LoginAttempt.email_hash == email_hash, since=max(since, last_success or since)
    )
    blocked = []
    if len(account) >= limits.max_failures_per_account:
        blocked.append(account[-limits.max_failures_per_account])
    if ip is not None:
        by_ip = await _recent_failures(session, LoginAttempt.ip_address == ip, since=since)
        if len(by_ip) >= limits.max_failures_per_ip:
            blocked.append(by_ip[-limits.max_failures_per_ip])
    if blocked:
        retry_after = max(1, int((max(blocked) + limits.window - now).total_seconds()) + 1)
        raise errors.TooManyLoginAttempts(
            details={"retry_after": retry_after}, headers={"Retry-After": str(retry_after)}
        )


async def record_failed_login(session: AsyncSession, *, email: str, ip: str | None) -> None:
    session.add(
        LoginAttempt(email_hash=sha256_hex(normalize_email(email)), ip_address=ip, succeeded=False)
    )
    await session.flush()


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
    tokens: TokenSettings,
    limits: LoginLimits,
) -> IssuedTokens:
    """Check the password and open a sign-in session in the user's first organization.

    Raises `InvalidCredentials` (after recording the failed attempt), `AccountDisabled` or
    `TooManyLoginAttempts`.
    """
    await check_login_allowed(session, email=email, ip=ip, limits=limits)
    user = await get_user_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        await record_failed_login(session, email=email, ip=ip)
        raise errors.InvalidCredentials()
    if not user.is_active:
        raise errors.AccountDisabled()
    organizations = await organizations_of_user(session, user.id)
    if not organizations:
        raise errors.AccountDisabled("This account belongs to no active organization.")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.add(LoginAttempt(email_hash=sha256_hex(user.email), ip_address=ip, succeeded=True))
    return await _open_session(
        session,
        user=user,
        organization_id=organizations[0][0].id,
        ip=ip,
        user_agent=user_agent,
        tokens=tokens,
    )


def _access_token(
    tokens: TokenSettings, *, user_id: uuid.UUID, auth_session_id: uuid.UUID, org_id: uuid.UUID
) -> str:
    return encode_jwt(
        tokens.secret_key,
        subject=str(user_id),
        token_type="access",
        lifetime=tokens.access_lifetime,
        claims={"sid": str(auth_session_id), "org": str(org_id)},
    )


def _refresh_token(auth_session_id: uuid.UUID, generation: int) -> str:
    return f"{auth_session_id.hex}.{generation}.{new_token(32)}"


def _issue(auth_session: AuthSession, tokens: TokenSettings) -> IssuedTokens:
    """New tokens for the session's current generation (stores the refresh token's hash)."""
    refresh_token = _refresh_token(auth_session.id, auth_session.refresh_generation)
    auth_session.refresh_token_hash = sha256_hex(refresh_token)
    return IssuedTokens(
        access_token=_access_token(
            tokens,
            user_id=auth_session.user_id,
            auth_session_id=auth_session.id,
            org_id=auth_session.organization_id,
        ),
        refresh_token=refresh_token,
        expires_in=int(tokens.access_lifetime.total_seconds()),
    )


async def _open_session(
    session: AsyncSession,
    *,
    user: User,
    organization_id: uuid.UUID,
    ip: str | None,
    user_agent: str | None,
    tokens: TokenSettings,
) -> IssuedTokens:
    auth_session = AuthSession(
        user_id=user.id,
        organization_id=organization_id,
        refresh_token_hash="",
        refresh_generation=0,
        expires_at=utcnow() + tokens.refresh_lifetime,
        user_agent=(user_agent or "")[:500] or None,
        ip_address=ip,
    )
    session.add(auth_session)
    await session.flush()
    issued = _issue(auth_session, tokens)
    await session.flush()
    return issued


async def open_session(
    session: AsyncSession,
    *,
    user: User,
    organization_id: uuid.UUID,
    ip: str | None,
    user_agent: str | None,
    tokens: TokenSettings,
) -> IssuedTokens:
    """Sign in a user who proved who they are another way (an account just registered
    with an invitation's token) in the given organization."""
    user.last_login_at = utcnow()
    return await _open_session(
        session,
        user=user,
        organization_id=organization_id,
        ip=ip,
        user_agent=user_agent,
        tokens=tokens,
    )


async def _active_membership(
    session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID
) -> str | None:
    async with scoped(session, Scope.organization(organization_id)):
        role: str | None = await session.scalar(
            select(Membership.role)
            .join(Organization, Organization.id == Membership.organization_id)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.user_id == user_id,
                Membership.is_active.is_(True),
                Organization.is_active.is_(True),
                User.is_active.is_(True),
            )
        )
    return role


async def refresh(
    session: AsyncSession, *, refresh_token: str, tokens: TokenSettings
) -> IssuedTokens:
    """Rotate the refresh token. Re-using an already rotated token revokes the whole session."""
    try:
        sid_hex, generation_text, _ = refresh_token.split(".", 2)
        auth_session_id = uuid.UUID(hex=sid_hex)
        generation = int(generation_text)
    except ValueError:
        raise InvalidToken() from None
    auth_session = await session.get(AuthSession, auth_session_id, with_for_update=True)
    if auth_session is None or auth_session.revoked_at is not None:
        raise InvalidToken()
    if auth_session.expires_at <= utcnow():
        raise InvalidToken("The session has expired; sign in again.")
    if sha256_hex(refresh_token) != auth_session.refresh_token_hash:
        if generation < auth_session.refresh_generation:
            auth_session.revoked_at = utcnow()  # a stolen token was replayed: end the session
            await session.flush()
            raise errors.SessionRevoked()
        raise InvalidToken()
    role = await _active_membership(session, auth_session.user_id, auth_session.organization_id)
    if role is None:
        auth_session.revoked_at = utcnow()
        await session.flush()
        raise errors.SessionRevoked("The account or membership is no longer active.")
    auth_session.refresh_generation += 1
    auth_session.last_used_at = utcnow()
    issued = _issue(auth_session, tokens)
    await session.flush()
    return issued


async def switch_organization(
    session: AsyncSession,
    *,
    auth_session_id: uuid.UUID,
    organization_id: uuid.UUID,
    tokens: TokenSettings,
) -> IssuedTokens:
    """Move the sign-in session to another organization of the same user."""
    auth_session = await session.get(AuthSession, auth_session_id, with_for_update=True)
    if auth_session is None or auth_session.revoked_at is not None:
        raise InvalidToken()
    if await _active_membership(session, auth_session.user_id, organization_id) is None:
        raise NotFound("Organization not found.")
    auth_session.organization_id = organization_id
    auth_session.refresh_generation += 1
    issued = _issue(auth_session, tokens)
    await session.flush()
    return issued


async def logout(session: AsyncSession, *, auth_session_id: uuid.UUID) -> None:
    """Revoke the sign-in session: its access and refresh tokens stop working at once."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == auth_session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


async def purge_expired(session: AsyncSession, *, login_attempts_older_than: timedelta) -> int:
    """Delete expired or long-revoked sessions, old login attempts and old password reset
    requests (housekeeping job)."""
    now = utcnow()
    sessions = await session.execute(
        delete(AuthSession).where(
            (AuthSession.expires_at < now) | (AuthSession.revoked_at < now - timedelta(days=7))
        )
    )
    attempts = await session.execute(
        delete(LoginAttempt).where(LoginAttempt.created_at < now - login_attempts_older_than)
    )
    resets = await session.execute(
        delete(PasswordReset).where(PasswordReset.created_at < now - login_attempts_older_than)
    )
    counts: list[int] = [
        int(getattr(result, "rowcount", 0) or 0) for result in (sessions, attempts, resets)
    ]
    return sum(counts)
