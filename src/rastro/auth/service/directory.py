"""Who is who in the caller's organization, for other modules: members by id (to check an
owner or assignee, to show their names) and how to name the author of a change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.models import ApiKey, Membership, User


@dataclass(frozen=True)
class MemberRef:
    id: uuid.UUID
    name: str
    email: str


async def members_by_id(
    session: AsyncSession, user_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, MemberRef]:
    """The active members of the session's organization among `user_ids` (one query)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(User.id, User.name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(User.id.in_(wanted), Membership.is_active.is_(True))
    )
    return {row.id: MemberRef(row.id, row.name, row.email) for row in rows}


async def actor_label(session: AsyncSession, *, kind: str, principal_id: uuid.UUID) -> str:
    """The user's e-mail, or `api_key:<name>` for an API key."""
    if kind == "api_key":
        name = await session.scalar(select(ApiKey.name).where(ApiKey.id == principal_id))
        return f"api_key:{name or principal_id}"
    email = await session.scalar(select(User.email).where(User.id == principal_id))
    return email or str(principal_id)
