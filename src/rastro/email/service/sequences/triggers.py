"""What enrolls contacts in sequences, and what ends enrollments early.

The CRM announces, it never imports us (layers: email → crm): a new lead
(`hooks.on_leads_created`, in the outbox's claiming transaction) enrolls it in the active
`lead_created` sequences; a stage change (`pipeline.on_stage_changed`, in the change's
transaction) first ends the enrollments whose sequence exits on that stage, then enrolls
in the `stage_changed` sequences of that stage and, for `won`, the `deal_won` ones. The
payments live above us (funnels): they call `payment_pending` when a PIX is generated and
`payment_settled` when it moves on; a paid one ends its recovery enrollments. The funnels'
recovery calls `recovery_detected` when it finds an abandoned checkout (its buyer enters
the `checkout_abandoned` sequences) or an unpaid PIX (its `pix_unpaid` enrollments get the
resume link); the merge fields it hands (`resume_url`, `product_name`, `amount`,
`pix_copy_paste`) fill that buyer's e-mails.

An enrollment is unique per sequence, contact and trigger occurrence (the lead, the stage
change, the PIX charge, the abandoned checkout; `ON CONFLICT DO NOTHING`): a trigger
delivered twice enrolls once. A new occurrence for the same person (a second lead, a
second unpaid PIX) enters again as the sequence's `reentry` says: `never`, `after_exit`
(the default: once the previous enrollment completed or exited) or `always` (alongside
the active one). Only contacts
with an e-mail address are enrolled; one that is not a recipient yet becomes one
(`email_contacts`, status `active`); one whose status forbids mail is enrolled and the
run ends its enrollment (`suppressed`, `unsubscribed`), so the report counts it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from collections.abc import Sequence as Seq
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope, ScopeKind, TenantScopeMissing, get_scope, scoped
from rastro.core.errors import RastroError
from rastro.core.references import check_referenced
from rastro.crm.schemas import LeadStageChanged
from rastro.crm.service import hooks, identity, people, pipeline
from rastro.email.errors import EnrollmentNotFound
from rastro.email.models import EmailContact
from rastro.email.sequence_models import Enrollment, Sequence, SequenceStep


@asynccontextmanager
async def _organization(session: AsyncSession, organization_id: uuid.UUID) -> AsyncIterator[None]:
    """Run under the organization's scope (the outbox claims under the system scope)."""
    scope = get_scope(session)
    if scope is not None and scope.kind is ScopeKind.ORGANIZATION:
        if scope.organization_id != organization_id:
            raise RuntimeError("a trigger for another organization than the session's")
        yield
        return
    async with scoped(session, Scope.organization(organization_id)):
        yield


def _organization_id(session: AsyncSession) -> uuid.UUID:
    scope = get_scope(session)
    if scope is None or scope.organization_id is None:
        raise TenantScopeMissing("enrolling needs an organization scope")
    return scope.organization_id


async def _ensure_recipients(session: AsyncSession, contact_ids: Seq[uuid.UUID]) -> set[uuid.UUID]:
    """The contacts among `contact_ids` with an address, made recipients when new."""
    found = await people.people_by_id(session, contact_ids=contact_ids)
    if found:
        organization_id = _organization_id(session)
        await session.execute(
            insert(EmailContact)
            .values([{"contact_id": cid, "organization_id": organization_id} for cid in found])
            .on_conflict_do_nothing(index_elements=["contact_id"])
        )
    return set(found)


Target = tuple[uuid.UUID, uuid.UUID | None, str]  # contact, lead, trigger occurrence


async def _entered(
    session: AsyncSession, sequences: list[Sequence], contact_ids: set[uuid.UUID]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(sequence, contact) pairs already enrolled once, for the `never` sequences."""
    never = [s.sequence_id for s in sequences if s.reentry == "never"]
    if not never or not contact_ids:
        return set()
    rows = await session.execute(
        select(Enrollment.sequence_id, Enrollment.contact_id)
        .where(Enrollment.sequence_id.in_(never), Enrollment.contact_id.in_(contact_ids))
        .distinct()
    )
    return {(sequence_id, contact_id) for sequence_id, contact_id in rows.all()}


async def _enroll(
    session: AsyncSession,
    sequences: list[Sequence],
    targets: Seq[Target],
    *,
    now: datetime,
    source_ref: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> int:
    """Enroll each (contact, lead, occurrence) in each sequence as its `reentry` allows,
    never twice for one occurrence; returns how many are new.

    `never`: the empty occurrence, so one enrollment per contact ever; `after_exit`: the
    occurrence, and at most one active per contact (the partial unique index); `always`:
    the occurrence, overlapping. Conflicts on either key are skipped (`ON CONFLICT DO
    NOTHING`), so a redelivered trigger or a concurrent one enrolls nobody twice."""
    if not sequences or not targets:
        return 0
    sendable = await _ensure_recipients(session, list({contact for contact, _, _ in targets}))
    first_waits = dict(
        (
            await session.execute(
                select(SequenceStep.sequence_id, SequenceStep.wait_minutes).where(
                    SequenceStep.sequence_id.in_([s.sequence_id for s in sequences]),
                    SequenceStep.position == 1,
                )
            )
        ).all()
    )
    entered = await _entered(session, sequences, sendable)
    organization_id = _organization_id(session)
    rows = [
        {
            "organization_id": organization_id,
            "sequence_id": sequence.sequence_id,
            "contact_id": contact_id,
            "lead_id": lead_id,
            "source_ref": source_ref,
            "occurrence": "" if sequence.reentry == "never" else occurrence,
            "overlapping": sequence.reentry == "always",
            "fields": dict(fields or {}),
            "position": 1,
            "status": "active",
            "enrolled_at": now,
            "next_run_at": now
            + timedelta(
                minutes=sequence.trigger_minutes + first_waits.get(sequence.sequence_id, 0)
            ),
        }
        for sequence in sequences
        for contact_id, lead_id, occurrence in targets
        if contact_id in sendable and (sequence.sequence_id, contact_id) not in entered
    ]
    if not rows:
        return 0
    result = await session.execute(
        insert(Enrollment).values(rows).on_conflict_do_nothing().returning(Enrollment.enrollment_id)
    )
    return len(result.all())


async def _active(session: AsyncSession, trigger: str, stage: str | None = None) -> list[Sequence]:
    statement = select(Sequence).where(Sequence.status == "active", Sequence.trigger == trigger)
    if stage is not None:
        statement = statement.where(Sequence.trigger_stage == stage)
    return list(await session.scalars(statement))


async def _exit(
    session: AsyncSession, enrollment_ids: list[uuid.UUID], reason: str, now: datetime
) -> int:
    if not enrollment_ids:
        return 0
    result = await session.execute(
        update(Enrollment)
        .where(Enrollment.enrollment_id.in_(enrollment_ids), Enrollment.status == "active")
        .values(status="exited", exit_reason=reason, finished_at=now, next_run_at=None)
        .returning(Enrollment.enrollment_id)
    )
    return len(result.all())


# --- what the CRM announces ----------------------------------------------------------------


async def leads_created(
    session: AsyncSession,
    organization_id: uuid.UUID,
    lead_ids: Seq[uuid.UUID],
    *,
    now: datetime | None = None,
) -> int:
    """New leads enter the active `lead_created` sequences; returns the enrollments."""
    async with _organization(session, organization_id):
        sequences = await _active(session, "lead_created")
        if not sequences:
            return 0
        by_lead, _ = await people.lead_states(session, lead_ids=lead_ids)
        targets = [
            (state.contact_id, lead_id, f"lead:{lead_id}") for lead_id, state in by_lead.items()
        ]
        return await _enroll(session, sequences, targets, now=now or datetime.now(UTC))


async def stage_changed(
    session: AsyncSession, changed: LeadStageChanged, *, now: datetime | None = None
) -> int:
    """A lead moved: end the enrollments of its contact in sequences that exit on the new
    stage (reason `won` for won, `stage` otherwise), then enroll it where the stage (or,
    for won, the won deal) starts a sequence; returns the enrollments."""
    if changed.previous_stage == changed.stage_name:
        return 0
    at = now or datetime.now(UTC)
    async with _organization(session, changed.organization_id):
        leaving = list(
            await session.scalars(
                select(Enrollment.enrollment_id)
                .join(Sequence, Sequence.sequence_id == Enrollment.sequence_id)
                .where(
                    Enrollment.contact_id == changed.contact_id,
                    Enrollment.status == "active",
                    Sequence.exit_stages.contains([changed.stage_name]),
                )
            )
        )
        reason = "won" if changed.stage_name == "won" else "stage"
        await _exit(session, leaving, reason, at)
        sequences = await _active(session, "stage_changed", changed.stage_name)
        if changed.stage_name == "won":
            sequences += await _active(session, "deal_won")
        target = [(changed.contact_id, changed.lead_id, f"stage:{changed.stage_id}")]
        return await _enroll(session, sequences, target, now=at)


async def _on_leads_created(
    session: AsyncSession, organization_id: uuid.UUID, lead_ids: Seq[uuid.UUID]
) -> None:
    await leads_created(session, organization_id, lead_ids)


async def _on_stage_changed(session: AsyncSession, changed: LeadStageChanged) -> None:
    await stage_changed(session, changed)


hooks.on_leads_created(_on_leads_created)
pipeline.on_stage_changed(_on_stage_changed)


# --- what the payments call ----------------------------------------------------------------


async def payment_pending(
    session: AsyncSession,
    *,
    payment_id: uuid.UUID,
    email: str | None,
    name: str | None,
    lead_id: uuid.UUID | None = None,
    fields: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> int:
    """A PIX charge was generated: its buyer enters the active `pix_unpaid` sequences,
    due once the charge stayed unpaid for the sequence's `trigger_minutes` (a payment
    before then ends the enrollment: `payment_settled`). A buyer without a valid
    address enrolls nowhere."""
    sequences = await _active(session, "pix_unpaid")
    if not sequences or not email:
        return 0
    try:
        address = identity.normalize_email(email).address
    except RastroError:
        return 0
    ids = await people.ensure_people(session, people={address: name})
    target = [(ids[address], lead_id, f"payment:{payment_id}")]
    at = now or datetime.now(UTC)
    return await _enroll(
        session, sequences, target, now=at, source_ref=str(payment_id), fields=fields
    )


RECOVERY_FIELDS = ("resume_url", "product_name", "amount", "pix_copy_paste")


async def recovery_detected(
    session: AsyncSession,
    *,
    kind: str,
    source_ref: str,
    email: str | None,
    name: str | None,
    fields: Mapping[str, str],
    now: datetime | None = None,
) -> int:
    """The funnels' recovery found an abandoned checkout or an unpaid PIX (`kind`
    `checkout_abandoned` or `pix_unpaid`). An abandoned checkout's buyer enters the active
    `checkout_abandoned` sequences, due now plus their first wait; an unpaid PIX's
    enrollments (`source_ref`: the payment's id, made by `payment_pending`) that have
    not ended get the fields, so their e-mails from now on carry the resume link.
    `fields` beyond `RECOVERY_FIELDS` are dropped. Returns the enrollments made or
    given the fields (0: no e-mail will carry them)."""
    kept = {k: v for k, v in fields.items() if k in RECOVERY_FIELDS and v}
    at = now or datetime.now(UTC)
    if kind == "pix_unpaid":
        result = await session.execute(
            update(Enrollment)
            .where(Enrollment.source_ref == source_ref, Enrollment.status == "active")
            .values(fields=Enrollment.fields.op("||")(kept))
            .returning(Enrollment.enrollment_id)
        )
        return len(result.all())
    if kind != "checkout_abandoned" or not email:
        return 0
    sequences = await _active(session, "checkout_abandoned")
    if not sequences:
        return 0
    try:
        address = identity.normalize_email(email).address
    except RastroError:
        return 0
    ids = await people.ensure_people(session, people={address: name})
    target = [(ids[address], None, f"checkout:{source_ref}"[:80])]
    return await _enroll(session, sequences, target, now=at, source_ref=source_ref, fields=kept)


async def payment_settled(
    session: AsyncSession, *, payment_id: uuid.UUID, status: str, now: datetime | None = None
) -> int:
    """A charge moved on: paid ends its recovery enrollments (`paid`); returns how many."""
    if status != "paid":
        return 0
    ids = list(
        await session.scalars(
            select(Enrollment.enrollment_id).where(
                Enrollment.source_ref == str(payment_id), Enrollment.status == "active"
            )
        )
    )
    return await _exit(session, ids, "paid", now or datetime.now(UTC))


# --- replies and manual exits --------------------------------------------------------------


async def record_reply(
    session: AsyncSession, *, contact_id: uuid.UUID, now: datetime | None = None
) -> int:
    """The contact replied: its enrollments in sequences that exit on a reply end
    (`replied`); returns how many. 422 for a contact that is not a recipient here."""
    await check_referenced(session, EmailContact, contact_id, field="body.contact_id")
    ids = list(
        await session.scalars(
            select(Enrollment.enrollment_id)
            .join(Sequence, Sequence.sequence_id == Enrollment.sequence_id)
            .where(
                Enrollment.contact_id == contact_id,
                Enrollment.status == "active",
                Sequence.exit_on_reply.is_(True),
            )
        )
    )
    return await _exit(session, ids, "replied", now or datetime.now(UTC))


async def end_enrollment(
    session: AsyncSession, *, sequence_id: uuid.UUID, enrollment_id: uuid.UUID
) -> Enrollment:
    """End one enrollment by hand (`manual`); an ended one stays as it is."""
    enrollment = await session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.sequence_id != sequence_id:
        raise EnrollmentNotFound()
    await _exit(session, [enrollment_id], "manual", datetime.now(UTC))
    await session.refresh(enrollment)
    return enrollment
