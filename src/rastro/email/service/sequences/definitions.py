"""Sequences and their steps: creation, edits, the status machine `draft → active ⇄
paused`, and each step's campaign (its content, sender and links, which the campaign
machinery sends and tracks)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import Conflict, field_error
from rastro.core.references import check_referenced, referenced
from rastro.crm.service import identity
from rastro.email import sequence_schemas as schemas
from rastro.email.errors import (
    InvalidSequenceTransition,
    SequenceNotFound,
    SequenceNotReady,
    SequenceStepNotFound,
)
from rastro.email.models import Campaign, Message, Sender, Template
from rastro.email.sequence_models import Enrollment, Sequence, SequenceStep
from rastro.email.service.generation import snapshot_links

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"active"}),
    "active": frozenset({"paused"}),
    "paused": frozenset({"active"}),
}


def _address(value: str, field: str) -> str:
    return identity.normalize_email(value, field=field).address


async def _checked(session: AsyncSession, new: schemas.SequenceIn) -> dict[str, object]:
    if new.trigger == "stage_changed" and new.trigger_stage is None:
        raise field_error("body.trigger_stage", "Name the stage that starts the sequence.")
    await check_referenced(session, Sender, new.sender_id, field="body.sender_id")
    return {
        "name": new.name,
        "trigger": new.trigger,
        "trigger_stage": new.trigger_stage if new.trigger == "stage_changed" else None,
        "trigger_minutes": new.trigger_minutes if new.trigger == "pix_unpaid" else 0,
        "reentry": new.reentry,
        "exit_on_reply": new.exit_on_reply,
        "exit_stages": sorted(set(new.exit_stages)),
        "from_name": new.from_name,
        "from_address": _address(new.from_address, "body.from_address"),
        "reply_to": _address(new.reply_to, "body.reply_to") if new.reply_to else None,
        "sender_id": new.sender_id,
    }


async def create_sequence(session: AsyncSession, *, new: schemas.SequenceIn) -> Sequence:
    """A draft sequence (no steps yet)."""
    sequence = Sequence(**await _checked(session, new), status="draft")
    session.add(sequence)
    await session.flush()
    await session.refresh(sequence)
    return sequence


async def get_sequence(session: AsyncSession, *, sequence_id: uuid.UUID) -> Sequence:
    sequence = await session.get(Sequence, sequence_id)
    if sequence is None:
        raise SequenceNotFound()
    return sequence


async def list_sequences(session: AsyncSession) -> list[Sequence]:
    return list(await session.scalars(select(Sequence).order_by(Sequence.created_at.desc())))


async def update_sequence(
    session: AsyncSession, *, sequence_id: uuid.UUID, change: schemas.SequenceIn
) -> Sequence:
    """Replace the sequence's settings; its steps' sender fields follow (what is sent
    from now on; what was sent stays as it was)."""
    sequence = await get_sequence(session, sequence_id=sequence_id)
    previous_sender = sequence.sender_id
    for name, value in (await _checked(session, change)).items():
        setattr(sequence, name, value)
    for campaign in await _campaigns(session, sequence_id):
        campaign.from_name, campaign.from_address = sequence.from_name, sequence.from_address
        campaign.reply_to = sequence.reply_to
        campaign.utm_campaign = sequence.name
        if campaign.sender_id == previous_sender:  # a step's own sender stays
            campaign.sender_id = sequence.sender_id
    await session.flush()
    await session.refresh(sequence)
    return sequence


async def delete_sequence(session: AsyncSession, *, sequence_id: uuid.UUID) -> None:
    """Delete a sequence nobody went through (409 once it enrolled someone: pause it)."""
    sequence = await get_sequence(session, sequence_id=sequence_id)
    if await session.scalar(select(exists().where(Enrollment.sequence_id == sequence.sequence_id))):
        raise Conflict("The sequence has enrollments; pause it instead.")
    campaign_ids = [c.campaign_id for c in await _campaigns(session, sequence_id)]
    await session.execute(delete(SequenceStep).where(SequenceStep.sequence_id == sequence_id))
    await session.execute(delete(Campaign).where(Campaign.campaign_id.in_(campaign_ids)))
    await session.delete(sequence)
    await session.flush()


def _move(sequence: Sequence, status: str) -> None:
    if status not in TRANSITIONS[sequence.status]:
        raise InvalidSequenceTransition(details={"from": sequence.status, "to": status})
    sequence.status = status


async def activate_sequence(session: AsyncSession, *, sequence_id: uuid.UUID) -> Sequence:
    """Start enrolling (or resume): needs at least one step (422 otherwise)."""
    sequence = await get_sequence(session, sequence_id=sequence_id)
    if not await steps_of(session, sequence_id=sequence_id):
        raise SequenceNotReady("Add a step before activating the sequence.")
    _move(sequence, "active")
    sequence.activated_at = sequence.activated_at or datetime.now(UTC)
    await session.flush()
    await session.refresh(sequence)
    return sequence


async def pause_sequence(session: AsyncSession, *, sequence_id: uuid.UUID) -> Sequence:
    """Stop enrolling and sending; enrollments wait where they are until it resumes."""
    sequence = await get_sequence(session, sequence_id=sequence_id)
    _move(sequence, "paused")
    await session.flush()
    await session.refresh(sequence)
    return sequence


# --- steps -------------------------------------------------------------------------------------


async def steps_of(session: AsyncSession, *, sequence_id: uuid.UUID) -> list[SequenceStep]:
    return list(
        await session.scalars(
            select(SequenceStep)
            .where(SequenceStep.sequence_id == sequence_id)
            .order_by(SequenceStep.position)
        )
    )


async def _campaigns(session: AsyncSession, sequence_id: uuid.UUID) -> list[Campaign]:
    return list(
        await session.scalars(
            select(Campaign)
            .join(SequenceStep, SequenceStep.campaign_id == Campaign.campaign_id)
            .where(SequenceStep.sequence_id == sequence_id)
        )
    )


async def _content(
    session: AsyncSession, new: schemas.SequenceStepIn
) -> tuple[str, str, str, uuid.UUID | None]:
    subject, html, text = new.subject, new.html, new.text
    if new.template_id is not None:
        template = await referenced(session, Template, new.template_id, field="body.template_id")
        subject = subject or template.subject
        html = html if html is not None else template.html
        text = text if text is not None else template.text
    if not subject:
        raise field_error("body.subject", "A subject is required (or a template that has one).")
    if not (html or "").strip():
        raise field_error("body.html", "The step needs HTML content (or a template).")
    await check_referenced(session, Sender, new.sender_id, field="body.sender_id")
    return subject, html or "", text or "", new.template_id


def _condition(new: schemas.SequenceStepIn) -> dict[str, object] | None:
    return new.condition.model_dump(mode="json") if new.condition is not None else None


async def add_step(
    session: AsyncSession, *, sequence_id: uuid.UUID, new: schemas.SequenceStepIn
) -> tuple[SequenceStep, Campaign]:
    """Append a step, with its campaign (status `sending`: the sequence's job sends it)."""
    sequence = await get_sequence(session, sequence_id=sequence_id)
    subject, html, text, template_id = await _content(session, new)
    position = (
        await session.scalar(
            select(func.coalesce(func.max(SequenceStep.position), 0)).where(
                SequenceStep.sequence_id == sequence_id
            )
        )
        or 0
    ) + 1
    campaign = Campaign(
        name=f"{sequence.name} · {position}"[:200],
        objective=None,
        subject=subject,
        from_name=sequence.from_name,
        from_address=sequence.from_address,
        reply_to=sequence.reply_to,
        template_id=template_id,
        sender_id=new.sender_id or sequence.sender_id,
        html=html,
        text=text,
        utm_source="email_sequence",
        utm_campaign=sequence.name,
        status="sending",
        generation_status="done",
        exclusions={},
    )
    session.add(campaign)
    await session.flush()
    await snapshot_links(session, campaign)
    step = SequenceStep(
        sequence_id=sequence_id,
        position=position,
        wait_minutes=new.wait_minutes,
        condition=_condition(new),
        otherwise=new.otherwise,
        campaign_id=campaign.campaign_id,
    )
    session.add(step)
    await session.flush()
    await session.refresh(step)
    return step, campaign


async def get_step(
    session: AsyncSession, *, sequence_id: uuid.UUID, step_id: uuid.UUID
) -> tuple[SequenceStep, Campaign]:
    step = await session.get(SequenceStep, step_id)
    if step is None or step.sequence_id != sequence_id:
        raise SequenceStepNotFound()
    campaign = await session.get(Campaign, step.campaign_id)
    assert campaign is not None  # RESTRICT: a step's campaign outlives it
    return step, campaign


async def update_step(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    step_id: uuid.UUID,
    change: schemas.SequenceStepIn,
) -> tuple[SequenceStep, Campaign]:
    """Replace a step's wait, condition and content (e-mails sent stay as they were, and
    so do the send times of enrollments already waiting for it; new links are tracked
    from now on)."""
    step, campaign = await get_step(session, sequence_id=sequence_id, step_id=step_id)
    sequence = await get_sequence(session, sequence_id=sequence_id)
    subject, html, text, template_id = await _content(session, change)
    step.wait_minutes, step.otherwise = change.wait_minutes, change.otherwise
    step.condition = _condition(change)
    campaign.subject, campaign.html, campaign.text = subject, html, text
    campaign.template_id = template_id
    campaign.sender_id = change.sender_id or sequence.sender_id
    await session.flush()
    await snapshot_links(session, campaign)
    await session.refresh(step)
    return step, campaign


async def delete_step(session: AsyncSession, *, sequence_id: uuid.UUID, step_id: uuid.UUID) -> None:
    """Remove a step that sent nothing (409 otherwise: its figures are history); the
    later steps move up, and enrollments waiting past it keep their place."""
    step, campaign = await get_step(session, sequence_id=sequence_id, step_id=step_id)
    if await session.scalar(select(exists().where(Message.campaign_id == campaign.campaign_id))):
        raise Conflict("The step has sent e-mails; edit it instead of deleting it.")
    position = step.position
    await session.delete(step)
    await session.flush()
    await session.delete(campaign)
    await session.execute(
        update(SequenceStep)
        .where(SequenceStep.sequence_id == sequence_id, SequenceStep.position > position)
        .values(position=SequenceStep.position - 1)
    )
    await session.execute(
        update(Enrollment)
        .where(Enrollment.sequence_id == sequence_id, Enrollment.position > position)
        .values(position=Enrollment.position - 1)
    )
    await session.flush()


def step_out(step: SequenceStep, campaign: Campaign) -> schemas.SequenceStep:
    return schemas.SequenceStep(
        step_id=step.step_id,
        position=step.position,
        wait_minutes=step.wait_minutes,
        condition=step.condition,  # validated by the schema
        otherwise=step.otherwise,
        campaign_id=campaign.campaign_id,
        template_id=campaign.template_id,
        subject=campaign.subject,
        html=campaign.html,
        text=campaign.text,
        sender_id=campaign.sender_id,
    )


async def sequence_out(session: AsyncSession, sequence: Sequence) -> schemas.Sequence:
    """A sequence with its steps and how many enrollments are active."""
    out = schemas.Sequence.model_validate(sequence)
    steps = await steps_of(session, sequence_id=sequence.sequence_id)
    campaigns = {
        c.campaign_id: c
        for c in await session.scalars(
            select(Campaign).where(Campaign.campaign_id.in_([s.campaign_id for s in steps]))
        )
    }
    out.steps = [step_out(step, campaigns[step.campaign_id]) for step in steps]
    out.active_enrollments = int(
        await session.scalar(
            select(func.count()).where(
                Enrollment.sequence_id == sequence.sequence_id, Enrollment.status == "active"
            )
        )
        or 0
    )
    return out
