"""Scheduled campaigns that are due."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.email.models import Campaign


async def due_campaigns(session: AsyncSession) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(organization, campaign) of the scheduled campaigns whose time has come."""
    rows = await session.execute(
        select(Campaign.organization_id, Campaign.campaign_id).where(
            Campaign.status == "scheduled", Campaign.scheduled_at <= datetime.now(UTC)
        )
    )
    return list(rows.all())
