"""Background work of the CRM module: converted leads applied to the BI database (outbox),
leads pushed to destinations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import procrastinate
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core import outbox
from rastro.core.db import Databases, Scope, insert_rows
from rastro.core.ids import uuid7
from rastro.core.jobs import job_context
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.crm.models import LeadAttribution
from rastro.crm.service import destinations, pushes
from rastro.crm.service.capture import LEAD_CONVERTED
from rastro.tracking.service import conversions


def _campaign_id(touch: Row[Any] | None) -> str:
    if touch is None:
        return "(none)"
    return touch.utm_id or touch.utm_campaign or "(none)"


def _attribution(
    organization_id: uuid.UUID, payload: dict[str, Any], touches: list[Row[Any]]
) -> dict[str, Any]:
    credited_id = payload.get("utm_tracking_id")
    credited = next((t for t in touches if str(t.tracking_id) == credited_id), None)
    return {
        "id": uuid7(),
        "organization_id": organization_id,
        "lead_id": payload["lead_id"],
        "campaign_id": _campaign_id(credited),
        "source": credited.utm_source if credited else None,
        "medium": credited.utm_medium if credited else None,
        "utm_campaign": credited.utm_campaign if credited else None,
        "utm_content": credited.utm_content if credited else None,
        "utm_term": credited.utm_term if credited else None,
        "channel": credited.channel if credited else None,
        "session_id": payload.get("session_id"),
        "visitor_id": payload.get("visitor_id"),
        "utm_tracking_id": credited.tracking_id if credited else None,
        "touchpoints": [conversions.touch_dict(t) for t in touches],
        "first_touch": touches[0].created_at if touches else None,
        "last_touch": touches[-1].created_at if touches else None,
        "conversion_date": payload["converted_at"],
    }


@outbox.handler(LEAD_CONVERTED)
async def apply_leads_converted(
    databases: Databases,
    crm: AsyncSession,
    organization_id: uuid.UUID,
    messages: list[outbox.Message],
) -> None:
    """New leads of one organization: mark their sessions and journeys converted and write
    their `lead_attribution` rows (BI, one transaction, set-based), then queue their
    "lead.created" pushes in the claiming CRM transaction."""
    payloads = {message.payload["lead_id"]: message.payload for message in messages}
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        await conversions.mark_converted(
            bi, [p["session_id"] for p in payloads.values() if p.get("session_id")]
        )
        touches = await conversions.touchpoints(
            bi,
            {
                lead_id: (p.get("visitor_ids") or [], datetime.fromisoformat(p["converted_at"]))
                for lead_id, p in payloads.items()
            },
        )
        # One row per lead: a second delivery of the same messages changes nothing.
        await insert_rows(
            bi,
            LeadAttribution.__table__,
            [
                _attribution(organization_id, payload, touches[lead_id])
                for lead_id, payload in payloads.items()
            ],
            on_conflict_do_nothing=("lead_id",),
        )
    await destinations.schedule_created_pushes(
        crm, organization_id, [uuid.UUID(lead_id) for lead_id in payloads]
    )


blueprint = procrastinate.Blueprint()


@blueprint.task(name="push_lead", queue=destinations.PUSH_QUEUE)
async def push_lead(log_id: str, retries_left: int = 0) -> str:
    """Make one push attempt (an integrations_log row); transient failures queue the next."""
    context = job_context()
    settings = context.settings
    return await pushes.run_push(
        TransactionBoundary(context.databases.crm),  # the attempt and its outcome commit apart
        Keyring(settings.encryption_key_value),
        uuid.UUID(log_id),
        retries_left=retries_left,
        call_timeout=settings.crm_push_timeout_seconds,
        retry_base_seconds=settings.crm_push_retry_base_seconds,
    )


def register(app: procrastinate.App) -> None:
    # Registered as `crm:push_lead`, the name `destinations.PUSH_TASK` queues it under.
    app.add_tasks_from(blueprint, namespace="crm")
