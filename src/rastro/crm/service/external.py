"""What outside CRMs read and change of the CRM, for the integrations module (pushes out,
inbound webhooks in), as typed values from `rastro.crm.schemas`: no ORM row leaves the module.

- a lead as a push sends it, and a push's outcome on the lead (its external id, its timeline);
- the lead a CRM record refers to, and a CRM's deal change applied to that lead (its stage
  through `pipeline.change_stage`, its deal, a `webhook_received` timeline entry);
- the inbound webhooks' URL token and per-provider stage mappings (kept in `crm_settings`).

Every read and write goes through the caller's session and so its organization scope.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import accounts
from rastro.core.db import SYSTEM, scoped
from rastro.core.errors import NotFound
from rastro.crm.models import STAGE_PROBABILITY, Contact, CrmSettings, Deal, Lead, LeadStage
from rastro.crm.schemas import CrmDealChange, LeadForPush, WebhookTokenState
from rastro.crm.service import activities, pipeline, settings
from rastro.crm.service.deals import CLOSED_STAGES
from rastro.crm.service.identity import sha256_hex

# --- pushes ----------------------------------------------------------------------------------


async def lead_for_push(session: AsyncSession, lead_id: uuid.UUID) -> LeadForPush | None:
    """The lead as a push sends it; None when the lead no longer exists."""
    lead = await session.get(Lead, lead_id)
    if lead is None:
        return None
    contact = await session.get(Contact, lead.contact_id)
    stage_value = await session.scalar(
        select(LeadStage.stage_value)
        .where(LeadStage.lead_id == lead.lead_id)
        .order_by(LeadStage.created_at.desc())
        .limit(1)
    )
    return LeadForPush(
        lead_id=lead.lead_id,
        organization_id=lead.organization_id,
        email=lead.email or (contact.email if contact else None),
        name=lead.name or (contact.name if contact else None),
        phone=lead.phone or (contact.phone if contact else None),
        company=lead.company or (contact.company if contact else None),
        message=lead.message,
        form_location=lead.form_location,
        lead_score=lead.lead_score,
        current_stage=lead.current_stage,
        stage_value=stage_value,
        source=lead.source,
        medium=lead.medium,
        campaign=lead.campaign,
        channel=lead.channel,
        session_id=lead.session_id,
        visitor_id=lead.visitor_id,
        utm_tracking_id=lead.utm_tracking_id,
        created_at=lead.created_at,
    )


async def record_push_sent(
    session: AsyncSession,
    lead_id: uuid.UUID,
    *,
    integration_name: str,
    external_id: str | None,
    data: dict[str, Any],
) -> None:
    """A push of the lead succeeded: keep the CRM's id for the lead (the first one wins)
    and note it on the timeline. Nothing happens when the lead no longer exists."""
    lead = await session.get(Lead, lead_id)
    if lead is None:
        return
    if external_id and not lead.external_id:
        lead.external_id = external_id
    activities.record(
        session,
        "integration_sent",
        f"Sent to {integration_name}",
        lead_id=lead.lead_id,
        contact_id=lead.contact_id,
        data={**data, "integration": integration_name},
    )


async def record_push_failed(
    session: AsyncSession,
    lead_id: uuid.UUID,
    *,
    integration_name: str,
    error: str | None,
    data: dict[str, Any],
) -> None:
    """A push of the lead failed for good: note it on the timeline (if the lead exists)."""
    lead = await session.get(Lead, lead_id)
    if lead is None:
        return
    activities.record(
        session,
        "integration_failed",
        f"Push to {integration_name} failed: {error or 'error'}",
        lead_id=lead.lead_id,
        contact_id=lead.contact_id,
        data={**data, "integration": integration_name, "error": error},
    )


# --- inbound webhooks --------------------------------------------------------------------------


async def find_lead_id(
    session: AsyncSession,
    *,
    lead_id: uuid.UUID | None = None,
    record_id: str | None = None,
    email: str | None = None,
) -> uuid.UUID | None:
    """The organization's lead a CRM record refers to: by our id when given; else by
    `Lead.external_id` or `Deal.external_id` == the record id; else by the SHA-256 of the
    trimmed, lower-cased e-mail against `Lead.hashed_email` (the newest lead wins)."""
    if lead_id is not None:
        lead = await session.get(Lead, lead_id)
        return lead.lead_id if lead is not None else None
    # Whole rows, not ids: the change applied next finds the lead in the session.
    if record_id:
        lead = await session.scalar(
            select(Lead)
            .where(Lead.external_id == record_id)
            .order_by(Lead.created_at.desc())
            .limit(1)
        )
        if lead is not None:
            return lead.lead_id
        deal_lead_id = await session.scalar(
            select(Deal.lead_id)
            .where(Deal.external_id == record_id, Deal.lead_id.is_not(None))
            .order_by(Deal.created_at.desc())
            .limit(1)
        )
        if deal_lead_id is not None:
            lead = await session.get(Lead, deal_lead_id)
            return lead.lead_id if lead is not None else None
    if email:
        lead = await session.scalar(
            select(Lead)
            .where(Lead.hashed_email == sha256_hex(email.strip().lower()))
            .order_by(Lead.created_at.desc())
            .limit(1)
        )
        return lead.lead_id if lead is not None else None
    return None


async def apply_deal_change(
    session: AsyncSession,
    lead_id: uuid.UUID,
    change: CrmDealChange,
    *,
    stage: str | None,
    actor: str | None = None,
) -> None:
    """Record an outside CRM's change on the lead: its stage (if mapped to one of ours), its
    deal (created or updated: value, currency, stage, close date, owner) and a
    `webhook_received` timeline entry. A replayed event changes the stage once."""
    lead = await session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("Lead not found.")
    changed_by = change.sales_rep or change.provider
    close_date = change.close_date
    if stage in CLOSED_STAGES and close_date is None:
        close_date = datetime.now(UTC).date()
    if stage is not None:
        await pipeline.change_stage(
            session,
            lead,
            pipeline.StageChange(
                stage_name=stage,
                changed_by=changed_by,
                source=f"webhook:{change.provider}",
                stage_value=change.value,
                reason=change.reason,
                external_event_id=f"{change.provider}:{change.event_id}"[:255],
                close_date=close_date,
            ),
        )
    deal = await _upsert_deal(session, change=change, lead=lead, stage=stage, close_date=close_date)
    summary = (
        f"{change.provider} webhook: {change.their_stage} → {stage}"
        if stage
        else f"{change.provider} webhook: deal updated"
    )
    activities.record(
        session,
        "webhook_received",
        summary,
        lead_id=lead.lead_id,
        contact_id=lead.contact_id,
        deal_id=deal.deal_id if deal else None,
        actor=actor or changed_by,
        data={
            "provider": change.provider,
            "event_id": change.event_id,
            "record_id": change.record_id,
            "their_stage": change.their_stage,
            "stage": stage,
            "value": str(change.value) if change.value is not None else None,
            "currency": change.currency,
            "close_date": close_date.isoformat() if close_date else None,
            "sales_rep": change.sales_rep,
        },
    )
    await session.flush()


async def _upsert_deal(
    session: AsyncSession,
    *,
    change: CrmDealChange,
    lead: Lead,
    stage: str | None,
    close_date: date | None,
) -> Deal | None:
    deal = None
    if change.record_id:
        deal = await session.scalar(
            select(Deal)
            .where(Deal.external_id == change.record_id, Deal.lead_id == lead.lead_id)
            .limit(1)
        )
    if deal is None:
        # The lead's own deal not yet linked to a CRM record (e.g. created in the dashboard).
        deal = await session.scalar(
            select(Deal)
            .where(Deal.lead_id == lead.lead_id, Deal.external_id.is_(None))
            .order_by(Deal.created_at.desc())
            .limit(1)
        )
    if deal is None:
        if stage is None and change.value is None:
            return None
        deal = Deal(
            name=change.deal_name or lead.name or lead.email or "Deal",
            lead_id=lead.lead_id,
            contact_id=lead.contact_id,
            stage=stage or lead.current_stage,
            probability=STAGE_PROBABILITY[stage or lead.current_stage],
        )
        session.add(deal)
    if deal.external_id is None and change.record_id:
        deal.external_id = change.record_id
    if change.deal_name:
        deal.name = change.deal_name
    if change.value is not None:
        deal.value = change.value
    if change.currency:
        deal.currency = change.currency
    if stage is not None:
        deal.stage = stage
        deal.probability = STAGE_PROBABILITY[stage]
        if stage in CLOSED_STAGES and close_date is not None:
            deal.closed_at = datetime.combine(close_date, time(), UTC)
        elif stage not in CLOSED_STAGES:
            deal.closed_at = None
    elif change.close_date is not None:
        deal.expected_close_date = change.close_date
    if change.sales_rep and "@" in change.sales_rep:
        owner_id = await accounts.member_id_by_email(session, change.sales_rep)
        if owner_id is not None:
            deal.owner_id = owner_id
    await session.flush()
    return deal


# --- inbound webhook settings (in `crm_settings`) ---------------------------------------------


async def organization_for_webhook_token(
    session: AsyncSession, token_hash: str
) -> uuid.UUID | None:
    """The organization whose webhook URL token has this SHA-256 (looked up across
    organizations)."""
    async with scoped(session, SYSTEM):
        organization_id: uuid.UUID | None = await session.scalar(
            select(CrmSettings.organization_id).where(CrmSettings.webhook_token_hash == token_hash)
        )
    return organization_id


async def webhook_token(session: AsyncSession) -> WebhookTokenState:
    """Whether the organization has a webhook URL token, its last characters and age."""
    row = await settings.stored(session)
    return WebhookTokenState(
        configured=row.webhook_token_hash is not None,
        hint=row.webhook_token_hint,
        rotated_at=row.webhook_token_rotated_at,
    )


async def store_webhook_token(session: AsyncSession, *, token_hash: str, hint: str) -> datetime:
    """Replace the organization's webhook URL token (only its hash is kept); returns when."""
    row = await settings.stored(session)
    rotated_at = datetime.now(UTC)
    row.webhook_token_hash = token_hash
    row.webhook_token_hint = hint
    row.webhook_token_rotated_at = rotated_at
    await session.flush()
    return rotated_at


async def stage_mappings(session: AsyncSession) -> dict[str, dict[str, str]]:
    """The organization's own stage mappings as stored, per provider."""
    row = await settings.stored(session)
    return {provider: dict(mapping) for provider, mapping in (row.stage_mappings or {}).items()}


async def store_stage_mappings(session: AsyncSession, mappings: dict[str, dict[str, str]]) -> None:
    """Replace the organization's own stage mappings (checked by the caller)."""
    row = await settings.stored(session)
    row.stage_mappings = {provider: dict(mapping) for provider, mapping in mappings.items()}
    await session.flush()
