"""Organizations, users, memberships, sign-in sessions and tokens."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth import errors
from rastro.auth.models import AuthSession, LoginAttempt, Membership, Organization, User
from rastro.core.db import SYSTEM, Scope, scoped
from rastro.core.errors import InvalidToken, NotFound
from rastro.core.pagination import PageParams
from rastro.core.permissions import permissions_for_role
from rastro.core.security import (
    encode_jwt,
    hash_password,
    new_password,
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


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60] or "org"


# --- users and organizations ------------------------------------------------------------


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    user: User | None = await session.scalar(
        select(User).where(User.email == normalize_email(email))
    )
    return user


async def create_user(
    session: AsyncSession, *, email: str, name: str, password: str, locale: str = "pt-BR"
) -> User:
    """A new user; raises `EmailTaken` when the e-mail is in use."""
    if await get_user_by_email(session, email) is not None:
        raise errors.EmailTaken()
    user = User(
        email=normalize_email(email),
        name=name,
        password_hash=hash_password(password),
        locale=locale,
    )
    session.add(user)
    await session.flush()
    return user


async def create_organization(session: AsyncSession, *, name: str, admin: User) -> Organization:
    """A new organization with `admin` as its first administrator."""
    base = slugify(name)
    slug = base
    async with scoped(session, SYSTEM):
        while await session.scalar(select(Organization.id).where(Organization.slug == slug)):
            slug = f"{base}-{secrets.token_hex(3)}"
        organization = Organization(name=name, slug=slug)
        session.add(organization)
        await session.flush()
        session.add(Membership(organization_id=organization.id, user_id=admin.id, role="admin"))
        await session.flush()
    return organization


async def get_organization(session: AsyncSession, organization_id: uuid.UUID) -> Organization:
    organization = await session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("Organization not found.")
    return organization


async def update_organization(
    session: AsyncSession, organization_id: uuid.UUID, changes: dict[str, Any]
) -> Organization:
    organization = await get_organization(session, organization_id)
    for field, value in changes.items():
        setattr(organization, field, value)
    await session.flush()
    await session.refresh(organization)
    return organization


async def organizations_of_user(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[Organization, str]]:
    """Every active organization the user belongs to, with the role, oldest membership first."""
    async with scoped(session, SYSTEM):
        rows = await session.execute(
            select(Organization, Membership.role)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(
                Membership.user_id == user_id,
                Membership.is_active.is_(True),
                Organization.is_active.is_(True),
            )
            .order_by(Membership.created_at)
        )
        return [(org, role) for org, role in rows]


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


async def update_profile(
    session: AsyncSession, user_id: uuid.UUID, changes: dict[str, Any]
) -> User:
    user = await get_user(session, user_id)
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    await session.refresh(user)
    return user


async def change_password(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    current_password: str,
    new_password: str,
    keep_session_id: uuid.UUID | None,
) -> None:
    """Change the password and sign out every other session of the user."""
    user = await get_user(session, user_id)
    if not verify_password(user.password_hash, current_password):
        raise errors.WrongPassword()
    user.password_hash = hash_password(new_password)
    await session.execute(
        update(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.id != keep_session_id,
        )
        .values(revoked_at=func.now())
    )
    await session.flush()


# --- members -----------------------------------------------------------------------------


async def list_members(
    session: AsyncSession, params: PageParams
) -> tuple[list[tuple[Membership, User]], int]:
    statement = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .order_by(User.name, User.email)
    )
    total = await session.scalar(select(func.count(Membership.id)))
    rows = await session.execute(statement.limit(params.page_size).offset(params.offset))
    return [(m, u) for m, u in rows], int(total or 0)


async def add_member(
    session: AsyncSession, *, email: str, name: str, role: str, password: str | None
) -> tuple[Membership, User, str | None]:
    """Add a user to the caller's organization, creating the account when it is new.

    Returns the temporary password when Rastro generated one (shown to the admin once).
    """
    user = await get_user_by_email(session, email)
    temporary: str | None = None
    if user is None:
        if password is None:
            temporary = password = new_password()
        user = await create_user(session, email=email, name=name, password=password)
    elif await session.scalar(select(Membership.id).where(Membership.user_id == user.id)):
        raise errors.AlreadyMember()
    membership = Membership(user_id=user.id, role=role)
    session.add(membership)
    await session.flush()
    await session.refresh(membership)
    return membership, user, temporary


async def _get_membership(session: AsyncSession, user_id: uuid.UUID) -> tuple[Membership, User]:
    row = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.user_id == user_id)
        )
    ).first()
    if row is None:
        raise NotFound("Member not found.")
    return row[0], row[1]


async def member_id_by_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    """The user id of the active member of the session's organization with this e-mail."""
    user_id: uuid.UUID | None = await session.scalar(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(User.email == normalize_email(email), Membership.is_active.is_(True))
    )
    return user_id


async def update_member(
    session: AsyncSession, user_id: uuid.UUID, *, role: str | None, is_active: bool | None
) -> tuple[Membership, User]:
    """Change a member's role or deactivate them; the last active admin cannot be removed."""
    membership, user = await _get_membership(session, user_id)
    new_role = role or membership.role
    new_active = membership.is_active if is_active is None else is_active
    loses_admin = (
        membership.role == "admin"
        and membership.is_active
        and (new_role != "admin" or not new_active)
    )
    if loses_admin:
        other_admins = await session.scalar(
            select(func.count(Membership.id)).where(
                Membership.role == "admin",
                Membership.is_active.is_(True),
                Membership.user_id != user_id,
            )
        )
        if not other_admins:
            raise errors.LastAdmin()
    membership.role = new_role
    membership.is_active = new_active
    if not new_active:
        await session.execute(
            update(AuthSession)
            .where(
                AuthSession.user_id == user_id,
                AuthSession.organization_id == membership.organization_id,
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=func.now())
        )
    await session.flush()
    await session.refresh(membership)
    return membership, user


# --- sign-in -------------------------------------------------------------------------------


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
    refresh = _refresh_token(auth_session.id, 0)
    auth_session.refresh_token_hash = sha256_hex(refresh)
    await session.flush()
    return IssuedTokens(
        access_token=_access_token(
            tokens, user_id=user.id, auth_session_id=auth_session.id, org_id=organization_id
        ),
        refresh_token=refresh,
        expires_in=int(tokens.access_lifetime.total_seconds()),
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
    new_refresh = _refresh_token(auth_session.id, auth_session.refresh_generation)
    auth_session.refresh_token_hash = sha256_hex(new_refresh)
    auth_session.last_used_at = utcnow()
    await session.flush()
    return IssuedTokens(
        access_token=_access_token(
            tokens,
            user_id=auth_session.user_id,
            auth_session_id=auth_session.id,
            org_id=auth_session.organization_id,
        ),
        refresh_token=new_refresh,
        expires_in=int(tokens.access_lifetime.total_seconds()),
    )


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
    new_refresh = _refresh_token(auth_session.id, auth_session.refresh_generation)
    auth_session.refresh_token_hash = sha256_hex(new_refresh)
    await session.flush()
    return IssuedTokens(
        access_token=_access_token(
            tokens,
            user_id=auth_session.user_id,
            auth_session_id=auth_session.id,
            org_id=organization_id,
        ),
        refresh_token=new_refresh,
        expires_in=int(tokens.access_lifetime.total_seconds()),
    )


async def logout(session: AsyncSession, *, auth_session_id: uuid.UUID) -> None:
    """Revoke the sign-in session: its access and refresh tokens stop working at once."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == auth_session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


def role_permissions(role: str) -> frozenset[str]:
    return permissions_for_role(role)


async def purge_expired(session: AsyncSession, *, login_attempts_older_than: timedelta) -> int:
    """Delete expired or long-revoked sessions and old login attempts (housekeeping job)."""
    now = utcnow()
    sessions = await session.execute(
        delete(AuthSession).where(
            (AuthSession.expires_at < now) | (AuthSession.revoked_at < now - timedelta(days=7))
        )
    )
    attempts = await session.execute(
        delete(LoginAttempt).where(LoginAttempt.created_at < now - login_attempts_older_than)
    )
    return int(sessions.rowcount or 0) + int(attempts.rowcount or 0)  # type: ignore[attr-defined]
