"""What other modules read of the CRM's leads, as frozen values (`schemas.LeadConversionFacts`):
no ORM row leaves the module. Every read goes through the caller's session, so it sees
only the session's organization (`core.db`'s tenant scope): another organization's lead
id is simply not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.crm.models import Lead
from rastro.crm.schemas import LeadConversionFacts


def _clicked_at(click: dict[str, Any]) -> datetime | None:
    value = click.get("clicked_at")
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:  # not written by capture: no click time rather than a failed read
        return None


def _facts(lead: Lead) -> LeadConversionFacts:
    """The lead's conversion facts, read from its row."""
    metadata = lead.metadata_ or {}
    click = dict(metadata.get("click_ids") or {})
    page_url = metadata.get("page_url")
    return LeadConversionFacts(
        lead_id=lead.lead_id,
        organization_id=lead.organization_id,
        contact_id=lead.contact_id,
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        source=lead.source,
        medium=lead.medium,
        campaign=lead.campaign,
        utm_tracking_id=lead.utm_tracking_id,
        visitor_id=lead.visitor_id,
        stage_value=lead.stage_value,
        page_url=str(page_url) if page_url is not None else None,
        click_ids={
            name: str(value)
            for name, value in click.items()
            if name != "clicked_at" and value is not None
        },
        clicked_at=_clicked_at(click),
        submitted_attribution=dict(metadata.get("submitted_attribution") or {}),
        form_fields=dict(metadata.get("form") or {}),
    )


async def get_conversion_facts(
    session: AsyncSession, lead_id: uuid.UUID
) -> LeadConversionFacts | None:
    """One lead's conversion facts; None when the organization has no such lead."""
    lead = await session.get(Lead, lead_id)
    return _facts(lead) if lead is not None else None


async def conversion_facts_of(
    session: AsyncSession, lead_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, LeadConversionFacts]:
    """The conversion facts of these leads (one query), by lead id; ids the organization
    has no lead for are left out."""
    if not lead_ids:
        return {}
    leads = await session.scalars(select(Lead).where(Lead.lead_id.in_(set(lead_ids))))
    return {lead.lead_id: _facts(lead) for lead in leads}


async def leads_with_email(session: AsyncSession) -> list[LeadConversionFacts]:
    """The conversion facts of the organization's leads that have an e-mail, oldest first."""
    leads = await session.scalars(
        select(Lead).where(Lead.email.is_not(None)).order_by(Lead.created_at)
    )
    return [_facts(lead) for lead in leads]


def campaign_lead_ids(campaign: str) -> Select[uuid.UUID]:
    """The ids of the leads credited to `campaign`, as a subquery for another module's
    filter (`column.in_(...)`): one statement, scoped like the query it joins."""
    return select(Lead.lead_id).where(Lead.campaign == campaign)
