"""Inbound CRM webhooks: verify a delivery, read the provider's events, find the lead, map
the provider's stage to ours and record the change (seed 001 scenario 3).

One class per provider (in `inbound_providers`: `HubSpotInbound`, `PipedriveInbound`,
`RdStationInbound`, `GenericInbound`) turns a verified raw body into `InboundChange`s;
`receive_webhook` then handles each change the same way, in the request's transaction:

1. its event id goes into `crm_webhook_deliveries` (`INSERT ... ON CONFLICT DO NOTHING`):
   a replay finds the row there and is answered `duplicate`, changing nothing;
2. the lead is found by `Lead.external_id` or `Deal.external_id` == the CRM record id, else
   by the SHA-256 of the trimmed, lower-cased e-mail against `Lead.hashed_email`;
3. the provider's stage goes through the organization's mapping (defaults underneath);
4. the change is applied through `pipeline.change_stage` (source `webhook:<provider>`), the
   lead's deal is created or updated (value, currency, stage, close date, owner) and a
   `webhook_received` activity is written.

A provider's event whose record or stage cannot be placed is kept with status `review` (the
review list) and answered 2xx, since providers retry non-2xx deliveries for days; an admin
resolves it later (`resolve_delivery`). The generic webhook is our own API and is strict
instead: an unknown record is a 404 and an unmapped stage a 422, with nothing stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time

import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import accounts
from rastro.core.db import TenantScopeMissing, get_scope
from rastro.core.errors import NotFound, UnprocessableEntity
from rastro.core.pagination import PageParams, paginate
from rastro.core.references import referenced
from rastro.core.security import Keyring
from rastro.crm.models import STAGE_PROBABILITY, Deal, Lead, WebhookDelivery
from rastro.crm.service import activities, pipeline, webhook_settings
from rastro.crm.service.inbound_providers import (
    CLOSED_STAGES,
    PROVIDER_CLASSES,
    InboundChange,
    SignedRequest,
    hash_email,
)
from rastro.crm.webhook_errors import DeliveryNotInReview, MalformedWebhook, WebhookNotConfigured
from rastro.crm.webhook_schemas import DeliveryResult

__all__ = ["PROVIDER_CLASSES", "InboundChange", "SignedRequest", "hash_email"]

# --- receiving -------------------------------------------------------------------------------


async def receive_webhook(
    session: AsyncSession,
    keyring: Keyring,
    *,
    provider: str,
    request: SignedRequest,
    now: datetime | None = None,
) -> list[DeliveryResult]:
    """Verify a delivery's raw body, then record and apply each event it carries.

    The session is scoped to the organization the URL token named. Raises
    `InvalidWebhookSignature` / `WebhookNotConfigured` (401) before anything is read.
    """
    handler = PROVIDER_CLASSES[provider]
    credential = await webhook_settings.provider_credential(session, keyring, provider)
    if credential is None and handler.needs_credential:
        raise WebhookNotConfigured(
            f"No {webhook_settings.CREDENTIAL_SERVICES[provider]!r} credential is configured.",
            details={"service": webhook_settings.CREDENTIAL_SERVICES[provider]},
        )
    handler.verify(request, credential, now or datetime.now(UTC))
    try:
        body = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise MalformedWebhook("The body is not valid UTF-8 JSON.") from None
    changes = handler.parse(body)
    strict = provider == "generic"
    return [await _receive_one(session, provider, change, strict=strict) for change in changes]


def _organization_id(session: AsyncSession) -> uuid.UUID:
    scope = get_scope(session)
    if scope is None or scope.organization_id is None:
        raise TenantScopeMissing("webhook deliveries need an organization scope")
    return scope.organization_id


async def _record_delivery(
    session: AsyncSession, provider: str, change: InboundChange
) -> WebhookDelivery | None:
    """Insert the delivery row; None when this event id was already received."""
    delivery_id = await session.scalar(
        insert(WebhookDelivery)
        .values(
            organization_id=_organization_id(session),
            provider=provider,
            external_event_id=change.event_id[:255],
            status="received",
            record_id=change.record_id,
            payload={"event": change.raw, "change": change.as_json()},
        )
        .on_conflict_do_nothing(index_elements=["organization_id", "provider", "external_event_id"])
        .returning(WebhookDelivery.delivery_id)
    )
    if delivery_id is None:
        return None
    return await session.get(WebhookDelivery, delivery_id)


async def find_lead(session: AsyncSession, change: InboundChange) -> Lead | None:
    """The organization's lead a CRM record refers to (record id, then hashed e-mail)."""
    if change.lead_id is not None:
        return await session.get(Lead, change.lead_id)
    if change.record_id:
        lead = await session.scalar(
            select(Lead)
            .where(Lead.external_id == change.record_id)
            .order_by(Lead.created_at.desc())
            .limit(1)
        )
        if lead is not None:
            return lead
        lead_id = await session.scalar(
            select(Deal.lead_id)
            .where(Deal.external_id == change.record_id, Deal.lead_id.is_not(None))
            .order_by(Deal.created_at.desc())
            .limit(1)
        )
        if lead_id is not None:
            return await session.get(Lead, lead_id)
    if change.email:
        return await session.scalar(
            select(Lead)
            .where(Lead.hashed_email == hash_email(change.email))
            .order_by(Lead.created_at.desc())
            .limit(1)
        )
    return None


def map_stage(mapping: Mapping[str, str], change: InboundChange) -> str | None:
    for key in change.stage_keys:
        if key in mapping:
            return mapping[key]
        if key.lower() in mapping:
            return mapping[key.lower()]
    return None


async def _mapping(session: AsyncSession, provider: str) -> dict[str, str]:
    custom = await webhook_settings.stage_mappings(session)
    return webhook_settings.effective_mappings(custom)[provider]


def _result(delivery: WebhookDelivery, stage: str | None = None) -> DeliveryResult:
    return DeliveryResult(
        event_id=delivery.external_event_id,
        status=delivery.status,
        reason=delivery.reason,
        delivery_id=delivery.delivery_id,
        lead_id=delivery.lead_id,
        stage=stage,
    )


async def _receive_one(
    session: AsyncSession, provider: str, change: InboundChange, *, strict: bool
) -> DeliveryResult:
    delivery = await _record_delivery(session, provider, change)
    if delivery is None:
        return DeliveryResult(
            event_id=change.event_id, status="duplicate", reason="already received"
        )
    if change.ignore:
        return _result(_close(delivery, "ignored", change.ignore))
    lead = await find_lead(session, change)
    stage = map_stage(await _mapping(session, provider), change) if change.stage_keys else None
    if strict and lead is None:
        raise NotFound("No lead of this organization matches the record.")
    if strict and stage is None:
        raise UnprocessableEntity(
            f"Stage {change.stage_keys[0]!r} maps to none of ours.",
            details=[{"loc": "body.stage", "message": "unmapped stage", "type": "value"}],
        )
    if lead is None:
        if not change.stage_keys:
            return _result(_close(delivery, "ignored", "unknown record; no stage change"))
        delivery.status, delivery.reason = "review", "unknown_record"
        return _result(delivery)
    delivery.lead_id = lead.lead_id
    if change.stage_keys and stage is None:
        delivery.status = "review"
        delivery.reason = f"unmapped_stage: {change.stage_keys[0]}"
        return _result(delivery)
    await apply_change(session, provider=provider, change=change, lead=lead, stage=stage)
    return _result(_close(delivery, "applied", None), stage)


def _close(delivery: WebhookDelivery, status: str, reason: str | None) -> WebhookDelivery:
    delivery.status = status
    delivery.reason = reason
    delivery.resolved_at = datetime.now(UTC)
    return delivery


async def apply_change(
    session: AsyncSession,
    *,
    provider: str,
    change: InboundChange,
    lead: Lead,
    stage: str | None,
    actor: str | None = None,
) -> None:
    """Record the change on the lead: its stage (if any), its deal and a timeline entry."""
    changed_by = change.sales_rep or provider
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
                source=f"webhook:{provider}",
                stage_value=change.value,
                reason=change.reason,
                external_event_id=f"{provider}:{change.event_id}"[:255],
                close_date=close_date,
            ),
        )
    deal = await _upsert_deal(session, change=change, lead=lead, stage=stage, close_date=close_date)
    their_stage = change.stage_keys[0] if change.stage_keys else None
    summary = (
        f"{provider} webhook: {their_stage} → {stage}"
        if stage
        else f"{provider} webhook: deal updated"
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
            "provider": provider,
            "event_id": change.event_id,
            "record_id": change.record_id,
            "their_stage": their_stage,
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
    change: InboundChange,
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


# --- the review list -------------------------------------------------------------------------


async def list_deliveries(
    session: AsyncSession,
    params: PageParams,
    *,
    status: str | None = None,
    provider: str | None = None,
) -> tuple[list[WebhookDelivery], int]:
    """Received events, newest first (`status="review"` is the review list)."""
    statement = select(WebhookDelivery).order_by(
        WebhookDelivery.received_at.desc(), WebhookDelivery.delivery_id.desc()
    )
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    if provider is not None:
        statement = statement.where(WebhookDelivery.provider == provider)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def resolve_delivery(
    session: AsyncSession,
    delivery_id: uuid.UUID,
    *,
    action: str,
    lead_id: uuid.UUID | None,
    stage: str | None,
    actor: str,
) -> WebhookDelivery:
    """Apply a review item's stored change to the given lead, or dismiss it.

    Applying links the lead's deal to the CRM record, so that later events of the same
    record find the lead on their own.
    """
    delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound("Webhook delivery not found.")
    if delivery.status != "review":
        raise DeliveryNotInReview(details={"status": delivery.status})
    if action == "dismiss":
        _close(delivery, "dismissed", f"dismissed by {actor}")
        await session.flush()
        return delivery
    assert lead_id is not None
    lead = await referenced(session, Lead, lead_id, field="lead_id")
    change = InboundChange.from_json(dict(delivery.payload.get("change") or {}))
    our_stage = stage or map_stage(await _mapping(session, delivery.provider), change)
    if our_stage is None:
        raise UnprocessableEntity(
            "The provider's stage maps to none of ours: give `stage`.",
            details=[{"loc": "body.stage", "message": "required", "type": "missing"}],
        )
    await apply_change(
        session, provider=delivery.provider, change=change, lead=lead, stage=our_stage, actor=actor
    )
    delivery.lead_id = lead.lead_id
    _close(delivery, "applied", f"resolved by {actor}")
    await session.flush()
    return delivery
