"""Leads and revenue attributed to campaigns, per currency, two ways (a lead counts once
per campaign):

- **through the tracked journey**: the tracker keeps a click's `mid` (the message) with
  the session's touch, and a lead whose journey up to its conversion holds an e-mail
  click (the same session, a later one of the same browser, or another browser of the same
  person) is credited to the campaign of the latest such message
  (`lead_attribution.email_message_id`, tracking's service) — whoever's address the form
  carried;
- **by the recipient**: the leads the recipient's own contact (`rid`) created after
  their first click on the campaign, for visits the tracker did not see.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, Uuid, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.crm.service import people
from rastro.email import schemas
from rastro.email.models import Campaign, Message
from rastro.tracking.service import attribution as journeys


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


def _ids(name: str, values: list[uuid.UUID]):  # type: ignore[no-untyped-def]
    return any_(bindparam(name, values, type_=ARRAY(Uuid)))


def _clicks(campaign_id: uuid.UUID) -> Select[uuid.UUID, datetime | None]:
    """The recipients' first clicks on the campaign (a query: `contact_id`, `at`)."""
    return select(Message.contact_id, Message.first_clicked_at.label("at")).where(
        Message.campaign_id == campaign_id, Message.first_clicked_at.is_not(None)
    )


async def _journey_leads(
    crm: AsyncSession, bi: AsyncSession, campaign_ids: list[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Per campaign, the leads whose journey's latest e-mail click is one of its messages."""
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    if not campaign_ids:
        return found
    since = await crm.scalar(
        select(func.min(Campaign.created_at)).where(
            Campaign.campaign_id == _ids("campaigns", campaign_ids)
        )
    )
    if since is None:
        return found
    by_lead = await journeys.email_attributed_leads(bi, since=since)
    if not by_lead:
        return found
    message_campaign = dict(
        (
            await crm.execute(
                select(Message.message_id, Message.campaign_id).where(
                    Message.message_id == _ids("messages", list(set(by_lead.values()))),
                    Message.campaign_id == _ids("campaigns", campaign_ids),
                )
            )
        ).all()
    )
    for lead_id, message_id in by_lead.items():
        if message_id in message_campaign:
            found[message_campaign[message_id]].add(lead_id)
    return found


async def _outcomes(
    crm: AsyncSession, bi: AsyncSession, campaign_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[people.LeadOutcome]]:
    """Per campaign, its attributed leads (each once), in both ways."""
    result: dict[uuid.UUID, list[people.LeadOutcome]] = {cid: [] for cid in campaign_ids}
    for campaign_id in campaign_ids:
        result[campaign_id] = await people.leads_since(crm, moments=_clicks(campaign_id))
    through = await _journey_leads(crm, bi, campaign_ids)
    wanted = {lead_id for leads in through.values() for lead_id in leads}
    outcomes = {o.lead_id: o for o in await people.lead_outcomes(crm, lead_ids=wanted)}
    for campaign_id, lead_ids in through.items():
        have = {outcome.lead_id for outcome in result[campaign_id]}
        result[campaign_id] += [
            outcomes[lead_id]
            for lead_id in sorted(lead_ids - have)
            if lead_id in outcomes  # a lead erased since
        ]
    return result


async def attributed_leads(
    crm: AsyncSession, bi: AsyncSession, *, campaign_id: uuid.UUID
) -> list[people.LeadOutcome]:
    """The leads counted in one campaign's `leads` (and, won, in `won_leads`)."""
    return (await _outcomes(crm, bi, [campaign_id]))[campaign_id]


async def attributed(
    crm: AsyncSession, bi: AsyncSession, *, campaign_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Attributed]:
    """Each campaign's attributed leads, won leads and revenue (every id is in the result)."""
    result = {campaign_id: Attributed() for campaign_id in campaign_ids}
    for campaign_id, outcomes in (await _outcomes(crm, bi, campaign_ids)).items():
        figures = result[campaign_id]
        for outcome in outcomes:
            figures.leads += 1
            figures.won_leads += outcome.stage == "won"
            if outcome.won_value:
                figures.revenue[outcome.currency] += outcome.won_value
    return result
