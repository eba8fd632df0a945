"""Background work of the CRM module: converted leads applied through the outbox (their BI
attribution, then what other modules do with a new lead)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core import outbox
from rastro.core.db import Databases, Scope
from rastro.crm.service import hooks
from rastro.crm.service.capture import LEAD_CONVERTED
from rastro.tracking.schemas import ConvertedLead
from rastro.tracking.service import attribution


def _converted_lead(payload: dict[str, Any]) -> ConvertedLead:
    """A LEAD_CONVERTED message's payload (written by lead capture) as tracking reads it."""
    credited = payload.get("utm_tracking_id")
    return ConvertedLead(
        lead_id=uuid.UUID(payload["lead_id"]),
        converted_at=datetime.fromisoformat(payload["converted_at"]),
        session_id=payload.get("session_id"),
        visitor_id=payload.get("visitor_id"),
        visitor_ids=tuple(payload.get("visitor_ids") or ()),
        utm_tracking_id=uuid.UUID(credited) if credited else None,
    )


@outbox.handler(LEAD_CONVERTED)
async def apply_leads_converted(
    databases: Databases,
    crm: AsyncSession,
    organization_id: uuid.UUID,
    messages: list[outbox.Message],
) -> None:
    """New leads of one organization: their BI attribution (one BI transaction, set-based),
    then the `hooks.on_leads_created` listeners (the pushes of the integrations module) in
    the claiming CRM transaction."""
    # One entry per lead: a message delivered twice in a batch counts once.
    leads = {
        lead.lead_id: lead for lead in (_converted_lead(message.payload) for message in messages)
    }
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        await attribution.record_converted_leads(bi, organization_id, list(leads.values()))
    await hooks.announce_leads_created(crm, organization_id, list(leads))
