"""The organization's CRM settings (`crm_settings`): phone country, attribution credit,
scoring rules, stage mappings and the inbound webhook token. One row per organization."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope, TenantScopeMissing, get_scope
from rastro.core.units import TransactionBoundary
from rastro.crm.models import CrmSettings


async def current(session: AsyncSession) -> CrmSettings:
    """The settings to apply (defaults, not stored, when the organization never saved any)."""
    found = await session.scalar(select(CrmSettings))
    return (
        found
        if found is not None
        else CrmSettings(
            default_country="BR",
            attribution_credit="first_touch",
            scoring_rules={},
            stage_mappings={},
        )
    )


# Lead capture reads the settings of every submission: each process keeps them this long
# (a change saved through another process applies within this time; through this one, at
# once — `forget`).
CACHE_SECONDS = 5.0
_cache: dict[uuid.UUID, tuple[float, CrmSettings]] = {}


async def cached(crm: TransactionBoundary, organization_id: uuid.UUID) -> CrmSettings:
    """`current` for the organization, kept for `CACHE_SECONDS` in this process (a miss
    reads in a unit of work of the caller's boundary)."""
    hit = _cache.get(organization_id)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    async with crm.unit(Scope.organization(organization_id)) as session:
        found = await current(session)
    _cache[organization_id] = (now, found)
    return found


def forget(organization_id: uuid.UUID) -> None:
    """Drop the organization's cached settings (after they were saved)."""
    _cache.pop(organization_id, None)


async def stored(session: AsyncSession) -> CrmSettings:
    """The organization's CRM settings row, created with defaults when missing."""
    row: CrmSettings | None = await session.scalar(select(CrmSettings))
    if row is not None:
        return row
    scope = get_scope(session)
    if scope is None or scope.organization_id is None:
        raise TenantScopeMissing("CRM settings need an organization scope")
    # ON CONFLICT: two first requests at once do not collide.
    await session.execute(
        insert(CrmSettings)
        .values(organization_id=scope.organization_id)
        .on_conflict_do_nothing(index_elements=["organization_id"])
    )
    row = await session.scalar(select(CrmSettings).execution_options(populate_existing=True))
    assert row is not None
    return row
