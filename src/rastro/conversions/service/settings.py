"""The organization's conversion settings (`conversion_settings`): the conversion a won
lead creates, each conversion's name per platform, the attribution windows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions.models import DEFAULT_WINDOWS, ConversionSettings
from rastro.core.db import TenantScopeMissing, get_scope


async def current(session: AsyncSession) -> ConversionSettings:
    """The settings to apply (defaults, not stored, when the organization saved none)."""
    found: ConversionSettings | None = await session.scalar(select(ConversionSettings))
    if found is not None:
        return found
    return ConversionSettings(won_conversion_name="purchase", windows={}, actions={})


def window_days(settings: ConversionSettings, conversion_name: str, platform: str) -> int:
    """The attribution window of this conversion on this platform: the conversion
    action's, else the platform's, else seed 000's default."""
    action = action_of(settings, conversion_name, platform)
    if action.get("window_days"):
        return int(action["window_days"])
    # A platform without a click window (an order postback such as UTMify) gets 0: its
    # connector names no click to count from, so no window applies.
    return int(settings.windows.get(platform) or DEFAULT_WINDOWS.get(platform, 0))


def action_of(settings: ConversionSettings, conversion_name: str, platform: str) -> dict[str, Any]:
    """How the organization maps `conversion_name` on `platform` (empty if it does not)."""
    mapped = (settings.actions or {}).get(conversion_name) or {}
    return dict(mapped.get(platform) or {})


async def update_settings(
    session: AsyncSession,
    *,
    won_conversion_name: str,
    windows: dict[str, int],
    actions: dict[str, dict[str, dict[str, Any]]],
) -> ConversionSettings:
    """Replace the organization's conversion settings."""
    scope = get_scope(session)
    if scope is None or scope.organization_id is None:
        raise TenantScopeMissing("conversion settings need an organization scope")
    # ON CONFLICT: two first saves at once do not collide.
    await session.execute(
        insert(ConversionSettings)
        .values(organization_id=scope.organization_id)
        .on_conflict_do_nothing(index_elements=["organization_id"])
    )
    row = await session.scalar(select(ConversionSettings).execution_options(populate_existing=True))
    assert row is not None
    row.won_conversion_name = won_conversion_name
    row.windows = windows
    row.actions = actions
    await session.flush()
    await session.refresh(row)
    return row
