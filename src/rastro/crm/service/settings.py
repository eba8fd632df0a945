"""The organization's CRM settings (`crm_settings`): phone country, attribution credit,
scoring rules, stage mappings and the inbound webhook token. One row per organization."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import TenantScopeMissing, get_scope
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
