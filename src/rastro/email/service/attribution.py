"""Leads and revenue attributed to campaigns: the leads a recipient created after their
first click on the campaign (`rid` = the recipient's contact), with the value of their won
deals, per currency."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.crm.service import people
from rastro.email import schemas
from rastro.email.models import Message


@dataclass
class Attributed:
    leads: int = 0
    won_leads: int = 0
    revenue: dict[str | None, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def revenue_figures(self) -> list[schemas.RevenueFigure]:
        return [
            schemas.RevenueFigure(currency=currency, amount=amount)
            for currency, amount in sorted(self.revenue.items(), key=lambda item: str(item[0]))
        ]


async def _first_clicks(
    crm: AsyncSession, campaign_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[uuid.UUID, datetime]]:
    """Per campaign, each recipient's first click on it."""
    clicks: dict[uuid.UUID, dict[uuid.UUID, datetime]] = defaultdict(dict)
    if campaign_ids:
        rows = await crm.execute(
            select(Message.campaign_id, Message.contact_id, Message.first_clicked_at).where(
                Message.campaign_id.in_(campaign_ids), Message.first_clicked_at.is_not(None)
            )
        )
        for campaign_id, contact_id, clicked_at in rows.all():
            if clicked_at is not None:
                clicks[campaign_id][contact_id] = clicked_at
    return clicks


async def attributed_leads(
    crm: AsyncSession, *, campaign_id: uuid.UUID
) -> list[people.LeadOutcome]:
    """The leads counted in one campaign's `leads` (and, won, in `won_leads`)."""
    clicks = await _first_clicks(crm, [campaign_id])
    return await people.leads_since(crm, since=clicks.get(campaign_id, {}))


async def attributed(
    crm: AsyncSession, *, campaign_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Attributed]:
    """Each campaign's attributed leads, won leads and revenue (every id is in the result)."""
    clicks = await _first_clicks(crm, campaign_ids)
    result = {campaign_id: Attributed() for campaign_id in campaign_ids}
    for campaign_id, since in clicks.items():
        figures = result[campaign_id]
        for outcome in await people.leads_since(crm, since=since):
            figures.leads += 1
            figures.won_leads += outcome.stage == "won"
            if outcome.won_value:
                figures.revenue[outcome.currency] += outcome.won_value
    return result
