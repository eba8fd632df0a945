"""Push destinations (seed 000 integrations): their configuration, and the scheduling of
pushes — `schedule_stage_change_pushes` for stage changes, `schedule_created_pushes` for the
leads lead capture's outbox job has just applied. Both run as the CRM's listeners
(`pipeline.on_stage_changed`, `hooks.on_leads_created`), registered when this module is
imported: the CRM announces, it does not import us.

Scheduling writes one `integrations_log` row (pending) and one `crm.push_lead` job per
active destination subscribed to the event, in the caller's transaction: the pushes exist
exactly when the stage change (or the outbox delivery of the new lead) was committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import any_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.errors import NotFound, UnprocessableEntity
from rastro.core.jobs import enqueue
from rastro.core.pagination import PageParams, paginate
from rastro.crm.schemas import LeadStageChanged
from rastro.crm.service import hooks, pipeline
from rastro.integrations.connectors import CONNECTORS
from rastro.integrations.models import Destination, IntegrationLog

EVENTS = ("lead.created", "lead.stage_changed")
# The `push_lead` task of the "crm" job namespace: its name from before this module was
# carved out of the CRM, kept so that jobs already queued still run.
PUSH_TASK = "crm:push_lead"
PUSH_QUEUE = "integrations"
# Seed 001: up to 3 retries after the first attempt.
MAX_RETRIES = 3
_DELIVERY_NAMESPACE = uuid.UUID("7f1c0f0e-52a5-4c36-9a53-5d1f2b0c8e11")


def delivery_id(destination_id: uuid.UUID, lead_id: uuid.UUID, event: str, occurrence: str) -> str:
    """Stable for one lead, event occurrence and destination: the same on every retry."""
    return str(uuid.uuid5(_DELIVERY_NAMESPACE, f"{destination_id}:{lead_id}:{event}:{occurrence}"))


def _invalid(loc: str, message: str, kind: str = "value_error") -> UnprocessableEntity:
    return UnprocessableEntity(
        "Some fields are invalid.", details=[{"loc": loc, "message": message, "type": kind}]
    )


async def _check(
    session: AsyncSession,
    *,
    integration_name: str,
    credential_id: uuid.UUID | None,
    settings: dict[str, Any],
    events: list[str],
) -> None:
    connector = CONNECTORS.get(integration_name)
    if connector is None:
        raise _invalid("body.integration_name", f"one of {sorted(CONNECTORS)}", "enum")
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise _invalid("body.events", f"a non-empty list of {list(EVENTS)}", "enum")
    problems = connector.check_settings(settings)
    if problems:
        raise UnprocessableEntity("Some settings are invalid.", details=problems)
    if credential_id is None:
        raise _invalid("body.credential_id", "required", "missing")
    try:
        credential = await credentials.get_credential(session, credential_id)
    except NotFound:
        raise _invalid("body.credential_id", "no such credential in this organization") from None
    if credential.service != integration_name:
        raise _invalid(
            "body.credential_id",
            f"the credential is for {credential.service!r}, not {integration_name!r}",
        )
    if integration_name == "webhook" and not settings.get("url") and not credential.api_url:
        raise _invalid("body.settings.url", "required (or an api_url on the credential)", "missing")


async def create_destination(
    session: AsyncSession,
    *,
    name: str,
    integration_name: str,
    credential_id: uuid.UUID | None,
    settings: dict[str, Any],
    events: list[str],
    is_active: bool,
) -> Destination:
    """Add a destination after checking its credential and settings."""
    await _check(
        session,
        integration_name=integration_name,
        credential_id=credential_id,
        settings=settings,
        events=events,
    )
    destination = Destination(
        name=name,
        integration_type=CONNECTORS[integration_name].integration_type,
        integration_name=integration_name,
        credential_id=credential_id,
        settings=settings,
        events=list(dict.fromkeys(events)),
        is_active=is_active,
    )
    session.add(destination)
    await session.flush()
    await session.refresh(destination)
    return destination


async def get_destination(session: AsyncSession, destination_id: uuid.UUID) -> Destination:
    destination = await session.get(Destination, destination_id)
    if destination is None:
        raise NotFound("Destination not found.")
    return destination


async def list_destinations(
    session: AsyncSession, params: PageParams
) -> tuple[list[Destination], int]:
    statement = select(Destination).order_by(Destination.created_at, Destination.destination_id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def update_destination(
    session: AsyncSession, destination_id: uuid.UUID, changes: dict[str, Any]
) -> Destination:
    """Apply the given fields (integration_name is fixed; create another destination)."""
    destination = await get_destination(session, destination_id)
    settings = changes["settings"] if changes.get("settings") is not None else destination.settings
    events = changes["events"] if changes.get("events") is not None else destination.events
    credential_id = changes.get("credential_id", destination.credential_id)
    await _check(
        session,
        integration_name=destination.integration_name,
        credential_id=credential_id,
        settings=settings,
        events=events,
    )
    if changes.get("name") is not None:
        destination.name = changes["name"]
    if changes.get("is_active") is not None:
        destination.is_active = changes["is_active"]
    destination.settings = settings
    destination.events = list(dict.fromkeys(events))
    destination.credential_id = credential_id
    await session.flush()
    await session.refresh(destination)
    return destination


async def delete_destination(session: AsyncSession, destination_id: uuid.UUID) -> None:
    """Remove a destination; its log rows stay (destination_id becomes null)."""
    destination = await get_destination(session, destination_id)
    await session.delete(destination)
    await session.flush()


async def enqueue_attempt(
    session: AsyncSession, log: IntegrationLog, *, retries_left: int, scheduled_at: Any = None
) -> int:
    """Queue the job that makes the attempt `log` describes."""
    return await enqueue(
        session,
        PUSH_TASK,
        args={"log_id": str(log.log_id), "retries_left": retries_left},
        queue=PUSH_QUEUE,
        # Pushes of one lead to one destination run in order (created before its stages).
        lock=f"crm.push:{log.lead_id}:{log.destination_id}",
        scheduled_at=scheduled_at,
    )


async def _subscribed(
    session: AsyncSession, organization_id: uuid.UUID, event: str, skip: str | None
) -> list[Destination]:
    if event not in EVENTS:
        raise ValueError(f"unknown push event {event!r}")
    return list(
        (
            await session.scalars(
                select(Destination)
                .where(
                    # Explicit: the caller may be a SYSTEM-scoped job or public endpoint.
                    Destination.organization_id == organization_id,
                    Destination.is_active.is_(True),
                    literal(event) == any_(Destination.events),
                    Destination.integration_name != (skip or ""),
                )
                .order_by(Destination.created_at)
            )
        ).all()
    )


async def _queue_push(
    session: AsyncSession,
    destination: Destination,
    lead_id: uuid.UUID,
    event: str,
    occurrence: str,
    stage: str,
) -> None:
    log = IntegrationLog(
        organization_id=destination.organization_id,
        lead_id=lead_id,
        destination_id=destination.destination_id,
        event=event,
        integration_type=destination.integration_type,
        integration_name=destination.integration_name,
        status="pending",
        retry_count=0,
        request_data={
            "delivery_id": delivery_id(destination.destination_id, lead_id, event, occurrence),
            "stage": stage,
        },
        response_data={},
    )
    session.add(log)
    await session.flush()
    await enqueue_attempt(session, log, retries_left=MAX_RETRIES)


async def schedule_stage_change_pushes(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    lead_id: uuid.UUID,
    stage: str,
    changed_at: datetime,
    skip: str | None = None,
) -> None:
    """Queue a "lead.stage_changed" push of the lead to every active destination subscribed
    to it, in the caller's transaction. `skip` names an integration not to push to (the CRM
    the change came from: no echo back to it)."""
    destinations = await _subscribed(session, organization_id, "lead.stage_changed", skip)
    # A stage change is identified by the stage and when it happened.
    occurrence = f"{stage}@{changed_at.isoformat()}"
    for destination in destinations:
        await _queue_push(session, destination, lead_id, "lead.stage_changed", occurrence, stage)


async def schedule_created_pushes(
    session: AsyncSession, organization_id: uuid.UUID, lead_ids: Sequence[uuid.UUID]
) -> None:
    """Queue the "lead.created" pushes of these new leads of one organization (lead
    capture's outbox job; the leads' first stage is `new`)."""
    destinations = await _subscribed(session, organization_id, "lead.created", None)
    for lead_id in lead_ids:
        for destination in destinations:
            await _queue_push(session, destination, lead_id, "lead.created", "", "new")


# --- what the CRM announces ------------------------------------------------------------------

# What the stage listener reads of the lead and of its new stage-history entry that
# `pipeline.change_stage` hands its listeners, typed by shape: this module does not import
# the CRM's models.


@pipeline.on_stage_changed
async def push_stage_change(session: AsyncSession, changed: LeadStageChanged) -> None:
    """A lead moved to another stage: queue its "lead.stage_changed" pushes (not back to
    the CRM whose webhook moved it)."""
    if changed.previous_stage == changed.stage_name:
        return
    source = changed.source
    origin = source.removeprefix("webhook:") if source.startswith("webhook:") else None
    await schedule_stage_change_pushes(
        session,
        organization_id=changed.organization_id,
        lead_id=changed.lead_id,
        stage=changed.stage_name,
        changed_at=changed.changed_at,
        skip=origin,
    )


hooks.on_leads_created(schedule_created_pushes)
