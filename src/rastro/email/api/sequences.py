"""Routes of the sequences (`/api/email/sequences…`): the sequences and their steps, the
status machine, enrollments, replies and the per-step report.

Errors: 404 `sequence_not_found`, `sequence_step_not_found` or `enrollment_not_found` for
an id in the path that is not the organization's; 409 `invalid_sequence_transition` for a
status move the machine does not allow, and a plain 409 for deleting what has history;
422 with the field named for bad input and for ids in the body that are not the
organization's (`unknown_reference`), `sequence_not_ready` for activating a sequence
without steps."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from rastro.core.deps import BiSession, CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES, error_body
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.email import sequence_schemas as schemas
from rastro.email.permissions import Read, Write
from rastro.email.service.sequences import definitions, report, triggers


def _documented(code: int, error: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        code: {
            "description": description,
            "content": {"application/json": {"example": error_body(error, description)}},
        }
    }


_NOT_FOUND = _documented(404, "sequence_not_found", "No such sequence in this organization.")
_ENROLLMENT_NOT_FOUND = _documented(
    404, "enrollment_not_found", "No such enrollment in this sequence."
)
_STEP_NOT_FOUND = _documented(404, "sequence_step_not_found", "No such step in this sequence.")
_CONFLICT = _documented(409, "conflict", "The sequence's status or history does not allow it.")

router = APIRouter(
    prefix="/api/email/sequences",
    tags=["email"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)


@router.get("", response_model=list[schemas.Sequence])
async def list_sequences(_: Read, session: CrmSession) -> list[schemas.Sequence]:
    """Sequences, newest first, with their steps and active enrollments."""
    return [
        await definitions.sequence_out(session, s)
        for s in await definitions.list_sequences(session)
    ]


@router.post("", response_model=schemas.Sequence, status_code=status.HTTP_201_CREATED)
async def create_sequence(
    body: schemas.SequenceIn, _: Write, session: CrmSession
) -> schemas.Sequence:
    """A draft sequence; add steps, then activate it."""
    sequence = await definitions.create_sequence(session, new=body)
    return await definitions.sequence_out(session, sequence)


@router.get("/{sequence_id}", response_model=schemas.Sequence, responses=_NOT_FOUND)
async def get_sequence(sequence_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.Sequence:
    """One sequence with its steps in order."""
    sequence = await definitions.get_sequence(session, sequence_id=sequence_id)
    return await definitions.sequence_out(session, sequence)


@router.put("/{sequence_id}", response_model=schemas.Sequence, responses=_NOT_FOUND)
async def update_sequence(
    sequence_id: uuid.UUID, body: schemas.SequenceIn, _: Write, session: CrmSession
) -> schemas.Sequence:
    """Replace the sequence's trigger, exit rules and sender (what is sent from now on)."""
    sequence = await definitions.update_sequence(session, sequence_id=sequence_id, change=body)
    return await definitions.sequence_out(session, sequence)


@router.delete(
    "/{sequence_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def delete_sequence(sequence_id: uuid.UUID, _: Write, session: CrmSession) -> None:
    """Delete a sequence nobody went through (409 once it enrolled someone)."""
    await definitions.delete_sequence(session, sequence_id=sequence_id)


@router.post(
    "/{sequence_id}/activate",
    response_model=schemas.Sequence,
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def activate_sequence(
    sequence_id: uuid.UUID, _: Write, session: CrmSession
) -> schemas.Sequence:
    """Start (or resume) enrolling and sending; needs a step."""
    sequence = await definitions.activate_sequence(session, sequence_id=sequence_id)
    return await definitions.sequence_out(session, sequence)


@router.post(
    "/{sequence_id}/pause",
    response_model=schemas.Sequence,
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def pause_sequence(sequence_id: uuid.UUID, _: Write, session: CrmSession) -> schemas.Sequence:
    """Stop enrolling and sending; enrollments wait where they are."""
    sequence = await definitions.pause_sequence(session, sequence_id=sequence_id)
    return await definitions.sequence_out(session, sequence)


# --- steps -------------------------------------------------------------------------------------


@router.post(
    "/{sequence_id}/steps",
    response_model=schemas.SequenceStep,
    status_code=status.HTTP_201_CREATED,
    responses=_NOT_FOUND,
)
async def add_step(
    sequence_id: uuid.UUID, body: schemas.SequenceStepIn, _: Write, session: CrmSession
) -> schemas.SequenceStep:
    """Append a step (its content from the template unless given)."""
    step, campaign = await definitions.add_step(session, sequence_id=sequence_id, new=body)
    return definitions.step_out(step, campaign)


@router.put(
    "/{sequence_id}/steps/{step_id}",
    response_model=schemas.SequenceStep,
    responses={**_NOT_FOUND, **_STEP_NOT_FOUND},
)
async def update_step(
    sequence_id: uuid.UUID,
    step_id: uuid.UUID,
    body: schemas.SequenceStepIn,
    _: Write,
    session: CrmSession,
) -> schemas.SequenceStep:
    """Replace a step's wait, condition and content."""
    step, campaign = await definitions.update_step(
        session, sequence_id=sequence_id, step_id=step_id, change=body
    )
    return definitions.step_out(step, campaign)


@router.delete(
    "/{sequence_id}/steps/{step_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_STEP_NOT_FOUND, **_CONFLICT},
)
async def delete_step(
    sequence_id: uuid.UUID, step_id: uuid.UUID, _: Write, session: CrmSession
) -> None:
    """Remove a step that sent nothing (409 otherwise); later steps move up."""
    await definitions.delete_step(session, sequence_id=sequence_id, step_id=step_id)


# --- enrollments, replies and the report -----------------------------------------------------


@router.get(
    "/{sequence_id}/enrollments",
    response_model=Page[schemas.SequenceEnrollment],
    responses=_NOT_FOUND,
)
async def list_enrollments(
    sequence_id: uuid.UUID,
    _: Read,
    session: CrmSession,
    params: Pagination,
    status_: Annotated[schemas.EnrollmentStatus | None, Query(alias="status")] = None,
) -> Page[schemas.SequenceEnrollment]:
    """Who is going (or went) through the sequence, newest first."""
    items, total = await report.list_enrollments(
        session, params, sequence_id=sequence_id, status=status_
    )
    return Page.of(items, total, params)


@router.post(
    "/{sequence_id}/enrollments/{enrollment_id}/exit",
    response_model=schemas.SequenceEnrollment,
    responses=_ENROLLMENT_NOT_FOUND,
)
async def end_enrollment(
    sequence_id: uuid.UUID, enrollment_id: uuid.UUID, _: Write, session: CrmSession
) -> schemas.SequenceEnrollment:
    """End one enrollment by hand (`manual`); an ended one is returned as it is."""
    enrollment = await triggers.end_enrollment(
        session, sequence_id=sequence_id, enrollment_id=enrollment_id
    )
    return schemas.SequenceEnrollment.model_validate(enrollment)


@router.post("/replies", response_model=schemas.SequenceReplyResult)
async def record_reply(
    body: schemas.SequenceReplyIn, _: Write, session: CrmSession
) -> schemas.SequenceReplyResult:
    """A contact replied: end its enrollments in sequences that exit on a reply."""
    return schemas.SequenceReplyResult(
        exited=await triggers.record_reply(session, contact_id=body.contact_id)
    )


@router.get("/{sequence_id}/report", response_model=schemas.SequenceReport, responses=_NOT_FOUND)
async def sequence_report(
    sequence_id: uuid.UUID, _: Read, session: CrmSession, bi: BiSession
) -> schemas.SequenceReport:
    """Enrollments by status and exit reason, and each step's figures: sent, opens,
    clicks, skips, exits, leads and revenue attributed to the step's e-mail."""
    return await report.sequence_report(session, bi, sequence_id=sequence_id)
