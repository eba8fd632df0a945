"""The timeline (seed 003 activities): every service that changes a lead, contact or deal
records what happened through `record`, in the same transaction as the change;
`list_activities` reads it back."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.pagination import PageParams, paginate
from rastro.crm.models import Activity
from rastro.crm.service.records import about


def record(
    session: AsyncSession,
    activity_type: str,
    summary: str,
    *,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
    actor: str = "system",
    data: dict[str, Any] | None = None,
) -> Activity:
    activity = Activity(
        activity_type=activity_type,
        summary=summary[:500],
        lead_id=lead_id,
        contact_id=contact_id,
        deal_id=deal_id,
        actor=actor[:255],
        data=data or {},
    )
    session.add(activity)
    return activity


async def list_activities(
    session: AsyncSession,
    params: PageParams,
    *,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> tuple[list[Activity], int]:
    """The timeline, newest first (of one lead, contact or deal, or the organization's)."""
    statement = select(Activity).order_by(Activity.created_at.desc(), Activity.activity_id.desc())
    statement = about(statement, Activity, lead_id=lead_id, contact_id=contact_id, deal_id=deal_id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total
