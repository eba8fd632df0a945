"""API keys: shown once, stored as SHA-256, scoped, revocable, last use recorded."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from rastro.auth import errors
from rastro.auth.models import ApiKey, Organization
from rastro.auth.service.accounts import utcnow
from rastro.core.errors import NotFound
from rastro.core.pagination import PageParams, paginate
from rastro.core.permissions import api_key_scopes
from rastro.core.security import sha256_hex

KEY_MARKER = "rk_"
# Writing `last_used_at` on every call would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class VerifiedKey:
    id: uuid.UUID
    organization_id: uuid.UUID
    scopes: frozenset[str]


def is_api_key(token: str) -> bool:
    return token.startswith(KEY_MARKER)


async def create_api_key(
    session: AsyncSession, *, name: str, scopes: list[str], created_by_id: uuid.UUID | None
) -> tuple[ApiKey, str]:
    """Create a key; the returned plaintext is never stored and cannot be shown again."""
    allowed = {spec.name for spec in api_key_scopes()}
    unknown = sorted(set(scopes) - allowed)
    if unknown:
        raise errors.UnknownScope(details={"unknown": unknown, "allowed": sorted(allowed)})
    prefix = secrets.token_hex(6)
    plaintext = f"{KEY_MARKER}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        name=name,
        prefix=f"{KEY_MARKER}{prefix}",
        key_hash=sha256_hex(plaintext),
        scopes=sorted(set(scopes)),
        created_by_id=created_by_id,
    )
    session.add(api_key)
    await session.flush()
    return await get_api_key(session, api_key.id), plaintext


async def get_api_key(session: AsyncSession, api_key_id: uuid.UUID) -> ApiKey:
    api_key = await session.scalar(
        select(ApiKey).where(ApiKey.id == api_key_id).options(selectinload(ApiKey.created_by))
    )
    if api_key is None:
        raise NotFound("API key not found.")
    return api_key


async def list_api_keys(session: AsyncSession, params: PageParams) -> tuple[list[ApiKey], int]:
    statement = (
        select(ApiKey)
        .options(selectinload(ApiKey.created_by))
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def revoke_api_key(session: AsyncSession, api_key_id: uuid.UUID) -> None:
    api_key = await get_api_key(session, api_key_id)
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        await session.flush()


async def verify_api_key(session: AsyncSession, plaintext: str) -> VerifiedKey | None:
    """The key's organization and scopes, or None when unknown or revoked (SYSTEM scope)."""
    row = (
        await session.execute(
            select(ApiKey)
            .join(Organization, Organization.id == ApiKey.organization_id)
            .where(
                ApiKey.key_hash == sha256_hex(plaintext),
                ApiKey.revoked_at.is_(None),
                Organization.is_active.is_(True),
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        await session.flush()
    return VerifiedKey(id=row.id, organization_id=row.organization_id, scopes=frozenset(row.scopes))
