"""Running sequences: due enrollments advance in batches, then their e-mails are sent.

`advance_due` locks a batch of due enrollments of active sequences (`FOR UPDATE SKIP
LOCKED`: two workers never run the same one) and, for each, in this order:

1. ends it when the contact unsubscribed (globally, or from one of the sequence's step
   e-mails) — `unsubscribed` — or cannot receive mail (suppression list, bounced,
   complained, unconfirmed) — `suppressed` — or when its lead is in one of the sequence's
   exit stages (`won` / `stage`);
2. completes it when no step is left;
3. evaluates the step's condition: when it holds, queues the step's message (unique per
   step campaign and enrollment, `ON CONFLICT DO NOTHING`); when it does not, skips the step
   (counted on the step) or ends the enrollment (`condition`), as the step says;
4. moves it to the next step, due after that step's wait (or completes it).

Messages and the enrollments' moves commit together, so a run that dies leaves either
both or neither: run again, it queues nothing twice. `send_step` then sends the queued
messages of a step campaign through the campaigns' path (`sending.claim_queued`,
`claim_messages` and `record_results`: refusal of recipients no longer sendable, merge
fields, tracked links, unsubscribe headers, events); a sent message is never claimed
again, and a restart picks up what is still queued (as with campaigns, a worker that dies
between the claim and the record leaves that batch `sending`, failed as `interrupted`
after the lease, never sent twice).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope
from rastro.core.ids import uuid7
from rastro.core.units import TransactionBoundary
from rastro.crm.service import people
from rastro.email.models import Campaign, EmailContact, Message, Suppression, Unsubscribe
from rastro.email.senders.base import MailSender
from rastro.email.sequence_models import Enrollment, Sequence, SequenceStep
from rastro.email.service import sending

ADVANCE_BATCH = 500
_NOT_SENDABLE = ("suppressed", "bounced", "complained", "unconfirmed")


@dataclass
class Advanced:
    """What one batch did."""

    enrollments: int = 0
    queued: int = 0
    skipped: int = 0
    completed: int = 0
    exits: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Context:
    steps: dict[uuid.UUID, list[SequenceStep]]
    statuses: dict[uuid.UUID, str]
    suppressed: set[uuid.UUID]
    unsubscribed: set[tuple[uuid.UUID, uuid.UUID | None]]  # (contact, campaign or None)
    by_lead: dict[uuid.UUID, people.LeadState]
    latest: dict[uuid.UUID, people.LeadState]
    tags: dict[uuid.UUID, list[str]]
    previous: dict[tuple[uuid.UUID, uuid.UUID], Message]  # (campaign, enrollment)


async def _context(
    crm: AsyncSession, enrollments: list[Enrollment], sequence_ids: set[uuid.UUID]
) -> _Context:
    steps: dict[uuid.UUID, list[SequenceStep]] = defaultdict(list)
    for step in await crm.scalars(
        select(SequenceStep)
        .where(SequenceStep.sequence_id.in_(sequence_ids))
        .order_by(SequenceStep.position)
    ):
        steps[step.sequence_id].append(step)
    contacts = list({e.contact_id for e in enrollments})
    step_campaigns = [s.campaign_id for found in steps.values() for s in found]
    recipients = (
        await crm.execute(
            select(EmailContact.contact_id, EmailContact.status, EmailContact.tags).where(
                EmailContact.contact_id.in_(contacts)
            )
        )
    ).all()
    unsubscribed = {
        (contact_id, campaign_id)
        for contact_id, campaign_id in await crm.execute(
            select(Unsubscribe.contact_id, Unsubscribe.campaign_id).where(
                Unsubscribe.contact_id.in_(contacts),
                or_(
                    Unsubscribe.scope == "global",
                    Unsubscribe.campaign_id.in_(step_campaigns),
                ),
            )
        )
    }
    previous_campaigns = [
        steps[e.sequence_id][e.position - 2].campaign_id
        for e in enrollments
        if 2 <= e.position <= len(steps[e.sequence_id]) + 1
    ]
    previous = {
        (m.campaign_id, m.enrollment_id): m
        for m in await crm.scalars(
            select(Message).where(
                Message.campaign_id.in_(previous_campaigns),
                Message.enrollment_id.in_([e.enrollment_id for e in enrollments]),
            )
        )
        if m.enrollment_id is not None
    }
    by_lead, latest = await people.lead_states(
        crm,
        lead_ids=[e.lead_id for e in enrollments if e.lead_id is not None],
        contact_ids=contacts,
    )
    return _Context(
        steps=dict(steps),
        statuses={cid: status for cid, status, _ in recipients},
        suppressed=set(
            await crm.scalars(
                select(Suppression.contact_id).where(Suppression.contact_id.in_(contacts))
            )
        ),
        unsubscribed=unsubscribed,
        by_lead=by_lead,
        latest=latest,
        tags={cid: tags for cid, _, tags in recipients},
        previous=previous,
    )


def _lead(context: _Context, enrollment: Enrollment) -> people.LeadState | None:
    if enrollment.lead_id is not None and enrollment.lead_id in context.by_lead:
        return context.by_lead[enrollment.lead_id]
    return context.latest.get(enrollment.contact_id)


def _exit_reason(context: _Context, sequence: Sequence, enrollment: Enrollment) -> str | None:
    contact = enrollment.contact_id
    step_campaigns = {s.campaign_id for s in context.steps.get(sequence.sequence_id, [])}
    status = context.statuses.get(contact, "active")
    if status == "unsubscribed" or any(
        c == contact and (campaign is None or campaign in step_campaigns)
        for c, campaign in context.unsubscribed
    ):
        return "unsubscribed"
    if contact in context.suppressed or status in _NOT_SENDABLE:
        return "suppressed"
    lead = _lead(context, enrollment)
    if lead is not None and lead.stage in sequence.exit_stages:
        return "won" if lead.stage == "won" else "stage"
    return None


def holds(context: _Context, enrollment: Enrollment, step: SequenceStep) -> bool:
    """Whether the step's condition holds for this enrollment (no condition: it does)."""
    rule = step.condition
    if not rule:
        return True
    kind = rule.get("kind")
    if kind == "stage":
        lead = _lead(context, enrollment)
        inside = lead is not None and lead.stage in rule.get("stages", [])
        return inside != bool(rule.get("negate"))
    if kind == "score":
        lead = _lead(context, enrollment)
        return lead is not None and lead.grade in rule.get("grades", [])
    if kind == "tag":
        has = rule.get("tag") in context.tags.get(enrollment.contact_id, [])
        return has != bool(rule.get("negate"))
    if kind == "previous_email":
        message = None
        if enrollment.position >= 2:
            earlier = context.steps[enrollment.sequence_id][enrollment.position - 2]
            message = context.previous.get((earlier.campaign_id, enrollment.enrollment_id))
        opened = message is not None and message.first_opened_at is not None
        clicked = message is not None and message.first_clicked_at is not None
        return {
            "opened": opened,
            "clicked": clicked,
            "not_opened": not opened,
            "not_clicked": not clicked,
        }.get(str(rule.get("event")), False)
    return False


def _finish(enrollment: Enrollment, status: str, now: datetime, reason: str | None) -> None:
    enrollment.status, enrollment.exit_reason = status, reason
    enrollment.finished_at, enrollment.next_run_at = now, None


def _advance(enrollment: Enrollment, steps: list[SequenceStep], now: datetime) -> bool:
    """Move to the next step; True when that completed the enrollment."""
    enrollment.position += 1
    if enrollment.position > len(steps):
        _finish(enrollment, "completed", now, None)
        return True
    enrollment.next_run_at = now + timedelta(minutes=steps[enrollment.position - 1].wait_minutes)
    return False


async def advance_due(
    crm: AsyncSession, *, now: datetime, batch_size: int = ADVANCE_BATCH
) -> Advanced:
    """Advance one batch of due enrollments of the session's organization (see the module
    docstring); `enrollments` < `batch_size` means none are left due."""
    enrollments = list(
        await crm.scalars(
            select(Enrollment)
            .join(Sequence, Sequence.sequence_id == Enrollment.sequence_id)
            .where(
                Enrollment.status == "active",
                Enrollment.next_run_at <= now,
                Sequence.status == "active",
            )
            .order_by(Enrollment.next_run_at, Enrollment.enrollment_id)
            .limit(batch_size)
            .with_for_update(of=Enrollment, skip_locked=True)
        )
    )
    done = Advanced(enrollments=len(enrollments))
    if not enrollments:
        return done
    sequence_ids = {e.sequence_id for e in enrollments}
    sequences = {
        s.sequence_id: s
        for s in await crm.scalars(select(Sequence).where(Sequence.sequence_id.in_(sequence_ids)))
    }
    context = await _context(crm, enrollments, sequence_ids)
    messages: list[dict[str, object]] = []
    skipped: Counter[uuid.UUID] = Counter()
    for enrollment in enrollments:
        sequence = sequences[enrollment.sequence_id]
        steps = context.steps.get(sequence.sequence_id, [])
        reason = _exit_reason(context, sequence, enrollment)
        if reason is not None:
            _finish(enrollment, "exited", now, reason)
            done.exits[reason] += 1
            continue
        if enrollment.position > len(steps):
            _finish(enrollment, "completed", now, None)
            done.completed += 1
            continue
        step = steps[enrollment.position - 1]
        if holds(context, enrollment, step):
            messages.append(
                {
                    "message_id": uuid7(),
                    "organization_id": enrollment.organization_id,
                    "campaign_id": step.campaign_id,
                    "contact_id": enrollment.contact_id,
                    "enrollment_id": enrollment.enrollment_id,
                    # The enrollment's merge fields (a recovery's resume link) go along.
                    "fields": enrollment.fields or {},
                }
            )
        elif step.otherwise == "exit":
            _finish(enrollment, "exited", now, "condition")
            done.exits["condition"] += 1
            continue
        else:
            skipped[step.step_id] += 1
            done.skipped += 1
        done.completed += _advance(enrollment, steps, now)
    if messages:
        result = await crm.execute(
            insert(Message)
            .values(messages)
            .on_conflict_do_nothing(
                index_elements=["campaign_id", "enrollment_id"],
                index_where=Message.enrollment_id.is_not(None),
            )
            .returning(Message.message_id)
        )
        done.queued = len(result.all())
    for step_id, count in skipped.items():
        await crm.execute(
            update(SequenceStep)
            .where(SequenceStep.step_id == step_id)
            .values(skipped=SequenceStep.skipped + count)
        )
    await crm.flush()
    return done


async def campaigns_to_send(crm: AsyncSession, *, now: datetime) -> list[uuid.UUID]:
    """The step campaigns (of active sequences) with queued messages that are due."""
    return list(
        await crm.scalars(
            select(Message.campaign_id)
            .distinct()
            .join(SequenceStep, SequenceStep.campaign_id == Message.campaign_id)
            .join(Sequence, Sequence.sequence_id == SequenceStep.sequence_id)
            .where(
                Sequence.status == "active",
                Message.status == "queued",
                Message.attempts < sending.MAX_ATTEMPTS,
                or_(Message.retry_at.is_(None), Message.retry_at <= now),
            )
        )
    )


async def step_campaign(crm: AsyncSession, *, campaign_id: uuid.UUID) -> Campaign | None:
    """A step's campaign (None when it is not one of the organization's steps)."""
    return await crm.scalar(
        select(Campaign)
        .join(SequenceStep, SequenceStep.campaign_id == Campaign.campaign_id)
        .where(Campaign.campaign_id == campaign_id)
    )


async def send_step(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    scope: Scope,
    *,
    campaign_id: uuid.UUID,
    sender: MailSender,
    links: sending.Links,
    now: datetime,
    batch_size: int = sending.SEND_BATCH,
) -> int:
    """Send one batch of a step campaign's due queued messages; returns how many were
    claimed (fewer than `batch_size`: none are left due). The campaigns' three steps, so a
    mail is never sent twice: the claim (`sending.claim_queued` + `claim_messages`, marked
    `sending`) commits before the sender is called, the results (`record_results`) after."""
    async with crm.unit(scope) as crm_session, bi.unit(scope) as bi_session:
        campaign = await step_campaign(crm_session, campaign_id=campaign_id)
        if campaign is None:
            return 0
        await sending.fail_interrupted(crm_session, campaign_id, now)
        claimed = await sending.claim_queued(
            crm_session, campaign_id=campaign_id, now=now, batch_size=batch_size
        )
        claim = None
        if claimed:
            claim = await sending.claim_messages(
                crm_session,
                bi_session,
                campaign=campaign,
                messages=claimed,
                sender_kind=sender.kind,
                links=links,
                now=now,
            )
        await crm_session.execute(  # out of attempts: failed, as a campaign's would be
            update(Message)
            .where(
                Message.campaign_id == campaign_id,
                Message.status == "queued",
                Message.attempts >= sending.MAX_ATTEMPTS,
            )
            .values(status="failed")
        )
    if claim is not None and claim.mails:
        results = await sender.send(claim.mails)
        async with crm.unit(scope) as crm_session, bi.unit(scope) as bi_session:
            await sending.record_results(
                crm_session, bi_session, results=results, sender_kind=sender.kind, now=now
            )
    return len(claimed)


async def due_organizations(crm: AsyncSession, *, now: datetime) -> list[uuid.UUID]:
    """Organizations with due enrollments or queued step messages (a system scope)."""
    enrollments = (
        select(Enrollment.organization_id)
        .join(Sequence, Sequence.sequence_id == Enrollment.sequence_id)
        .where(
            Enrollment.status == "active",
            Enrollment.next_run_at <= now,
            Sequence.status == "active",
        )
    )
    queued = (
        select(Message.organization_id)
        .join(SequenceStep, SequenceStep.campaign_id == Message.campaign_id)
        .where(
            Message.status == "queued",
            Message.attempts < sending.MAX_ATTEMPTS,
            or_(Message.retry_at.is_(None), Message.retry_at <= now),
        )
    )
    return list(await crm.scalars(enrollments.union(queued)))
