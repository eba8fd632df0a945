"""A lead's journey from the BI database: every session of every browser known for the
person (the lead's visitor id and its contact's others), with touches, page views and
events, and the lead's attribution row."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import NotFound
from rastro.crm.models import Contact, Lead
from rastro.tracking.schemas import LeadAttribution
from rastro.tracking.service import reads
from rastro.tracking.service.attribution import lead_attribution


@dataclass
class LeadJourney:
    lead_id: uuid.UUID
    visitor_ids: list[str]
    attribution: LeadAttribution | None
    sessions: list[reads.SessionActivity]


async def lead_journey(crm: AsyncSession, bi: AsyncSession, lead_id: uuid.UUID) -> LeadJourney:
    """The lead's sessions oldest first (one CRM query, five BI queries)."""
    row = (
        await crm.execute(
            select(Lead.visitor_id, Contact.visitor_ids)
            .join(Contact, Contact.contact_id == Lead.contact_id)
            .where(Lead.lead_id == lead_id)
        )
    ).first()
    if row is None:
        raise NotFound("Lead not found.")
    visitor_ids = list(dict.fromkeys(v for v in [row[0], *(row[1] or [])] if v))
    attribution = await lead_attribution(bi, lead_id)
    sessions = await reads.sessions_of_visitors(bi, visitor_ids)
    return LeadJourney(lead_id, visitor_ids, attribution, sessions)


async def visitor_ids_of(
    crm: AsyncSession, lead_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Every browser known for each lead's person (the lead's visitor id and its contact's
    others): one query for all of them."""
    if not lead_ids:
        return {}
    rows = await crm.execute(
        select(Lead.lead_id, Lead.visitor_id, Contact.visitor_ids)
        .join(Contact, Contact.contact_id == Lead.contact_id)
        .where(Lead.lead_id.in_(list(lead_ids)))
    )
    return {
        lead_id: list(dict.fromkeys(v for v in [visitor_id, *(others or [])] if v))
        for lead_id, visitor_id, others in rows
    }
