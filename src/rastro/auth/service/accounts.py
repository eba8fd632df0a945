"""Organizations, users and memberships (sign-in lives in `sign_in`)."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth import errors
from rastro.auth.models import AuthSession, Membership, Organization, User
from rastro.core.db import SYSTEM, scoped
from rastro.core.errors import NotFound
from rastro.core.pagination import PageParams
from rastro.core.permissions import permissions_for_role
from rastro.core.security import (
    hash_password,
    verify_password,
)


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


async def find_organization_by_slug(session: AsyncSession, slug: str) -> Organization | None:
    """The active organization with this slug (public pages name it in their URL)."""
    found: Organization | None = await session.scalar(
        select(Organization).where(Organization.slug == slug, Organization.is_active.is_(True))
    )
    return found


async def organization_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Every organization's id (system jobs that visit each organization)."""
    return list(await session.scalars(select(Organization.id).order_by(Organization.id)))


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


@dataclass(frozen=True)
class MemberContact:
    """Who to write to about the organization's business (an alert): an active member."""

    user_id: uuid.UUID
    email: str
    name: str
    locale: str


async def member_contacts(session: AsyncSession, user_ids: list[uuid.UUID]) -> list[MemberContact]:
    """The active members of the session's organization among `user_ids` (others, such as
    people who left, are left out), ordered by name."""
    if not user_ids:
        return []
    rows = await session.execute(
        select(User.id, User.email, User.name, User.locale)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.id.in_(user_ids),
            Membership.is_active.is_(True),
            User.is_active.is_(True),
        )
        .order_by(User.name, User.email)
    )
    return [MemberContact(*row) for row in rows]


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


def role_permissions(role: str) -> frozenset[str]:
    return permissions_for_role(role)
