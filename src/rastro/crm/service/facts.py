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

from sqlalchemy import Select, Uuid, any_, bindparam, case, func, select
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.crm.models import Contact, Deal, Lead, LeadStage
from rastro.crm.schemas import LeadConversionFacts, LeadOutcome
from rastro.crm.service.deals import SALE_FIELDS

# Stages at or past qualification: a lead that reached one of them counts as qualified.
QUALIFIED_STAGES = ("qualified", "proposal", "negotiation", "won")


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
        consent=dict(metadata["consent"]) if isinstance(metadata.get("consent"), dict) else None,
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


async def lead_outcomes(
    session: AsyncSession,
    lead_ids: Collection[uuid.UUID] | None = None,
    *,
    after: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[LeadOutcome]:
    """The outcomes of these leads (or of the organization's leads in id order after
    `after`, at most `limit`: a backfill's pages), in two set-based queries."""
    query = (
        select(Lead, Contact.visitor_ids)
        .join(Contact, Contact.contact_id == Lead.contact_id)
        .order_by(Lead.lead_id)
    )
    if lead_ids is not None:
        if not lead_ids:
            return []
        query = query.where(Lead.lead_id.in_(set(lead_ids)))
    if after is not None:
        query = query.where(Lead.lead_id > after)
    if limit is not None:
        query = query.limit(limit)
    rows = (await session.execute(query)).all()
    if not rows:
        return []
    ids = [lead.lead_id for lead, _ in rows]
    history = await session.execute(
        select(
            LeadStage.lead_id,
            func.min(LeadStage.created_at)
            .filter(LeadStage.stage_name.in_(QUALIFIED_STAGES))
            .label("qualified_at"),
            func.max(LeadStage.created_at).filter(LeadStage.stage_name == "won").label("won_at"),
            func.max(LeadStage.created_at).filter(LeadStage.stage_name == "lost").label("lost_at"),
            func.max(case((LeadStage.stage_name == "won", LeadStage.stage_value))).label(
                "won_value"
            ),
        )
        .where(LeadStage.lead_id.in_(ids))
        .group_by(LeadStage.lead_id)
    )
    stages = {row.lead_id: row for row in history}
    won_deals = await session.execute(
        select(Deal.lead_id, Deal.currency, *(getattr(Deal, name) for name in SALE_FIELDS))
        .where(Deal.lead_id.in_(ids), Deal.stage == "won")
        .order_by(Deal.lead_id, Deal.closed_at.desc().nulls_last(), Deal.deal_id.desc())
        .ext(distinct_on(Deal.lead_id))
    )
    deals = {row.lead_id: row for row in won_deals}
    outcomes = []
    for lead, contact_visitors in rows:
        moves = stages.get(lead.lead_id)
        deal = deals.get(lead.lead_id)
        visitors = [v for v in (lead.visitor_id, *(contact_visitors or ())) if v]
        outcomes.append(
            LeadOutcome(
                lead_id=lead.lead_id,
                created_at=lead.created_at,
                session_id=lead.session_id,
                visitor_ids=tuple(dict.fromkeys(visitors)),
                utm_tracking_id=lead.utm_tracking_id,
                domain_id=lead.domain_id,
                page_id=lead.page_id,
                source=lead.source,
                medium=lead.medium,
                campaign=lead.campaign,
                channel=lead.channel,
                score=lead.lead_score,
                time_to_conversion=lead.time_to_conversion,
                stage=lead.current_stage,
                qualified_at=moves.qualified_at if moves else None,
                won_at=moves.won_at if moves and lead.current_stage == "won" else None,
                lost_at=moves.lost_at if moves and lead.current_stage == "lost" else None,
                value=lead.stage_value,
                currency=deal.currency if deal else None,
                **{name: getattr(deal, name) for name in SALE_FIELDS} if deal else {},
            )
        )
    return outcomes


async def lead_contacts(
    session: AsyncSession, lead_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The contact of each of these leads (one query), by lead id; unknown ids left out."""
    if not lead_ids:
        return {}
    # One array parameter: `IN` would render a placeholder per id (9,000 won leads in the
    # cohorts report over 12 months), each compiled and bound on every request.
    ids = bindparam("lead_ids", list(set(lead_ids)), type_=ARRAY(Uuid()))
    rows = await session.execute(
        select(Lead.lead_id, Lead.contact_id).where(Lead.lead_id == any_(ids))
    )
    return {lead_id: contact_id for lead_id, contact_id in rows}


async def session_contact(
    session: AsyncSession, session_ids: Collection[str]
) -> tuple[str | None, str | None, str | None] | None:
    """The name, e-mail and phone of the newest lead captured in one of these tracked
    sessions (by the tracker's or the server's id); None when none was."""
    if not session_ids:
        return None
    row = (
        await session.execute(
            select(Lead.name, Lead.email, Lead.phone)
            .where(Lead.session_id.in_(set(session_ids)))
            .order_by(Lead.created_at.desc())
            .limit(1)
        )
    ).first()
    return (row.name, row.email, row.phone) if row is not None else None
