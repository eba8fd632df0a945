"""The organization's e-mail settings: how many soft bounces suppress an address. An
organization that set nothing follows the server's `EMAIL_SOFT_BOUNCE_LIMIT`."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import TenantScopeMissing, get_scope
from rastro.email import schemas
from rastro.email.models import EmailSettings


async def _stored(session: AsyncSession) -> EmailSettings | None:
    scope = get_scope(session)
    if scope is None or scope.organization_id is None:
        return None
    return await session.get(EmailSettings, scope.organization_id)


async def soft_bounce_limit(session: AsyncSession, *, default: int) -> int:
    """Soft bounces after which an address is suppressed, for the session's organization."""
    stored = await _stored(session)
    if stored is None or stored.soft_bounce_limit is None:
        return default
    return stored.soft_bounce_limit


async def get_settings(session: AsyncSession, *, default: int) -> schemas.EmailSettingsOut:
    stored = await _stored(session)
    own = stored.soft_bounce_limit if stored is not None else None
    return schemas.EmailSettingsOut(
        soft_bounce_limit=own,
        default_soft_bounce_limit=default,
        effective_soft_bounce_limit=own if own is not None else default,
    )


async def update_settings(
    session: AsyncSession, *, change: schemas.EmailSettingsIn, default: int
) -> schemas.EmailSettingsOut:
    """Set (or, with null, clear) the organization's own soft-bounce limit."""
    scope = get_scope(session)
    if scope is None or scope.organization_id is None:
        raise TenantScopeMissing("e-mail settings need an organization scope")
    await session.execute(
        insert(EmailSettings)
        .values(organization_id=scope.organization_id, soft_bounce_limit=change.soft_bounce_limit)
        .on_conflict_do_update(
            index_elements=["organization_id"],
            set_={"soft_bounce_limit": change.soft_bounce_limit, "updated_at": func.now()},
        )
    )
    session.expire_all()
    return await get_settings(session, default=default)
