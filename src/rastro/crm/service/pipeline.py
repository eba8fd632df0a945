"""The pipeline (seed 000 `lead_stages`): every change of a lead's stage goes through
`change_stage`, whatever its origin (capture, the dashboard, the API, a CRM webhook).

Modules that depend on the CRM react to changes through `on_stage_changed` listeners,
awaited inside `change_stage`, so their writes share the change's transaction (e.g. the
offline conversion of a `won` lead) without the CRM importing them. A listener gets the
change as a frozen `schemas.LeadStageChanged`, never the ORM rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import field_error
from rastro.core.ids import uuid7
from rastro.crm.models import STAGE_PROBABILITY, STAGES, Lead, LeadStage
from rastro.crm.schemas import LeadStageChanged
from rastro.crm.service import activities


@dataclass(frozen=True)
class StageChange:
    stage_name: str
    changed_by: str
    source: str = "system"  # system | ui | api | webhook:<provider>
    stage_value: Decimal | None = None
    probability: int | None = None
    reason: str | None = None
    external_event_id: str | None = None
    close_date: date | None = None


# Awaited in the change's transaction, with the session the change was made in.
StageListener = Callable[[AsyncSession, LeadStageChanged], Awaitable[None]]
_listeners: list[StageListener] = []


def on_stage_changed(listener: StageListener) -> StageListener:
    """Register `listener` to be awaited after every stage change (usable as a decorator)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


async def change_stage(session: AsyncSession, lead: Lead, change: StageChange) -> LeadStage:
    """Append the change to the lead's history and make it the lead's current stage.

    A change carrying an `external_event_id` already applied (a replayed webhook) returns
    the stored row and changes nothing.
    """
    if change.stage_name not in STAGES:
        raise field_error("stage_name", f"Unknown stage; one of {', '.join(STAGES)}.")
    if change.external_event_id is not None:
        existing = await session.scalar(
            select(LeadStage).where(LeadStage.external_event_id == change.external_event_id)
        )
        if existing is not None:
            return existing
    probability = change.probability
    if probability is None:
        probability = STAGE_PROBABILITY[change.stage_name]
    stage = LeadStage(
        stage_id=uuid7(),
        lead_id=lead.lead_id,
        stage_name=change.stage_name,
        stage_value=change.stage_value,
        probability=probability,
        changed_by=change.changed_by,
        reason=change.reason,
        source=change.source,
        external_event_id=change.external_event_id,
        close_date=change.close_date,
        created_at=datetime.now(UTC),
    )
    session.add(stage)
    previous = lead.current_stage
    lead.current_stage = change.stage_name
    lead.stage_changed_at = stage.created_at
    if change.stage_value is not None:
        lead.stage_value = change.stage_value
    lead.probability = probability
    if previous != change.stage_name:  # a lead's first stage is told by `lead_created`
        activities.record(
            session,
            "stage_changed",
            f"{previous} → {change.stage_name}",
            lead_id=lead.lead_id,
            contact_id=lead.contact_id,
            actor=change.changed_by,
            data={
                "from": previous,
                "to": change.stage_name,
                "stage_value": str(change.stage_value) if change.stage_value is not None else None,
                "source": change.source,
                "reason": change.reason,
            },
        )
    if _listeners:
        changed = LeadStageChanged(
            organization_id=lead.organization_id,
            lead_id=lead.lead_id,
            contact_id=lead.contact_id,
            stage_id=stage.stage_id,
            previous_stage=previous,
            stage_name=stage.stage_name,
            stage_value=stage.stage_value,
            lead_value=lead.stage_value,
            probability=stage.probability,
            changed_by=stage.changed_by,
            source=stage.source,
            reason=stage.reason,
            close_date=stage.close_date,
            changed_at=stage.created_at,
        )
        for listener in _listeners:
            await listener(session, changed)
    # Flushed here, not by chance: a move to the stage the lead is in records no activity,
    # and callers read the row back (`refresh`), which a pending row cannot be.
    await session.flush()
    return stage
