"""Inbound CRM webhooks: verify a delivery, read the provider's events, find the lead, map
the provider's stage to ours and record the change (seed 001 scenario 3).

One class per provider (in `rastro.integrations.inbound`: `HubSpotInbound`,
`PipedriveInbound`, `RdStationInbound`, `GenericInbound`) turns a verified raw body into
`InboundChange`s; `receive_webhook` then handles each change the same way, in the request's
transaction:

1. its event id goes into `crm_webhook_deliveries` (`INSERT ... ON CONFLICT DO NOTHING`):
   a replay finds the row there and is answered `duplicate`, changing nothing;
2. the lead is found by the CRM's service (`external.find_lead_id`: the lead's or its deal's
   external id == the CRM record id, else the hashed e-mail);
3. the provider's stage goes through the organization's mapping (defaults underneath);
4. the change is applied by the CRM's service (`external.apply_deal_change`: the stage
   through the pipeline, source `webhook:<provider>`; the lead's deal created or updated;
   a `webhook_received` activity).

A provider's event whose record or stage cannot be placed is kept with status `review` (the
review list) and answered 2xx, since providers retry non-2xx deliveries for days; an admin
resolves it later (`resolve_delivery`). The generic webhook is our own API and is strict
instead: an unknown record is a 404 and an unmapped stage a 422, with nothing stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import TenantScopeMissing, get_scope
from rastro.core.errors import NotFound, UnprocessableEntity
from rastro.core.pagination import PageParams, paginate
from rastro.core.references import UnknownReference
from rastro.core.security import Keyring
from rastro.crm.schemas import CrmDealChange
from rastro.crm.service import external
from rastro.integrations.errors import (
    DeliveryNotInReview,
    MalformedWebhook,
    WebhookNotConfigured,
)
from rastro.integrations.inbound import PROVIDERS
from rastro.integrations.inbound.base import InboundChange, SignedRequest
from rastro.integrations.models import WebhookDelivery
from rastro.integrations.schemas import DeliveryResult
from rastro.integrations.service import webhook_settings

__all__ = ["PROVIDERS", "InboundChange", "SignedRequest"]

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
    handler = PROVIDERS[provider]
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


async def find_lead(session: AsyncSession, change: InboundChange) -> uuid.UUID | None:
    """The id of the organization's lead a CRM record refers to (record id, then e-mail)."""
    return await external.find_lead_id(
        session, lead_id=change.lead_id, record_id=change.record_id, email=change.email
    )


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
    lead_id = await find_lead(session, change)
    stage = map_stage(await _mapping(session, provider), change) if change.stage_keys else None
    if strict and lead_id is None:
        raise NotFound("No lead of this organization matches the record.")
    if strict and stage is None:
        raise UnprocessableEntity(
            f"Stage {change.stage_keys[0]!r} maps to none of ours.",
            details=[{"loc": "body.stage", "message": "unmapped stage", "type": "value"}],
        )
    if lead_id is None:
        if not change.stage_keys:
            return _result(_close(delivery, "ignored", "unknown record; no stage change"))
        delivery.status, delivery.reason = "review", "unknown_record"
        return _result(delivery)
    delivery.lead_id = lead_id
    if change.stage_keys and stage is None:
        delivery.status = "review"
        delivery.reason = f"unmapped_stage: {change.stage_keys[0]}"
        return _result(delivery)
    await apply_change(session, provider=provider, change=change, lead_id=lead_id, stage=stage)
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
    lead_id: uuid.UUID,
    stage: str | None,
    actor: str | None = None,
) -> None:
    """Record the change on the lead: its stage (if any), its deal and a timeline entry."""
    await external.apply_deal_change(
        session,
        lead_id,
        CrmDealChange(
            provider=provider,
            event_id=change.event_id,
            record_id=change.record_id,
            their_stage=change.stage_keys[0] if change.stage_keys else None,
            value=change.value,
            currency=change.currency,
            close_date=change.close_date,
            sales_rep=change.sales_rep,
            reason=change.reason,
            deal_name=change.deal_name,
        ),
        stage=stage,
        actor=actor,
    )


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
    if await external.find_lead_id(session, lead_id=lead_id) is None:
        raise UnknownReference(field="lead_id", key=lead_id)
    change = InboundChange.from_json(dict(delivery.payload.get("change") or {}))
    our_stage = stage or map_stage(await _mapping(session, delivery.provider), change)
    if our_stage is None:
        raise UnprocessableEntity(
            "The provider's stage maps to none of ours: give `stage`.",
            details=[{"loc": "body.stage", "message": "required", "type": "missing"}],
        )
    await apply_change(
        session,
        provider=delivery.provider,
        change=change,
        lead_id=lead_id,
        stage=our_stage,
        actor=actor,
    )
    delivery.lead_id = lead_id
    _close(delivery, "applied", f"resolved by {actor}")
    await session.flush()
    return delivery
