"""Routes of the CRM's notes and timeline: notes of a lead, contact or deal (list, add,
delete) and the activity feed."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.crm import permissions, schemas
from rastro.crm.api.owners import NOT_FOUND, actor
from rastro.crm.permissions import Read, Write
from rastro.crm.service import activities, notes

router = APIRouter(route_class=TransactionalRoute, responses={**ERROR_RESPONSES, **NOT_FOUND})


@router.get("/notes", response_model=Page[schemas.Note], tags=["crm"])
async def list_notes(
    _: Read,
    session: CrmSession,
    params: Pagination,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> Page[schemas.Note]:
    """Notes of a lead, contact or deal, newest first."""
    rows, total = await notes.list_notes(
        session, params, lead_id=lead_id, contact_id=contact_id, deal_id=deal_id
    )
    return Page.of([schemas.Note.model_validate(n) for n in rows], total, params)


@router.post(
    "/notes", response_model=schemas.Note, status_code=status.HTTP_201_CREATED, tags=["crm"]
)
async def create_note(
    body: schemas.NoteCreate, principal: Write, session: CrmSession
) -> schemas.Note:
    """Add a note to a lead, contact or deal."""
    note = await notes.create_note(
        session, body, actor=await actor(session, principal), author_id=principal.user_id
    )
    return schemas.Note.model_validate(note)


@router.delete("/notes/{note_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["crm"])
async def delete_note(note_id: uuid.UUID, principal: Write, session: CrmSession) -> Response:
    """Delete a note (its author, or a manager)."""
    await notes.delete_note(
        session,
        note_id,
        actor=await actor(session, principal),
        user_id=principal.user_id,
        may_delete_any=principal.can(permissions.CRM_ADMIN),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the timeline ------------------------------------------------------------------------------


@router.get("/activities", response_model=Page[schemas.Activity], tags=["crm"])
async def list_activities(
    _: Read,
    session: CrmSession,
    params: Pagination,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> Page[schemas.Activity]:
    """The timeline of a lead, contact or deal (or the organization's), newest first."""
    rows, total = await activities.list_activities(
        session, params, lead_id=lead_id, contact_id=contact_id, deal_id=deal_id
    )
    return Page.of([schemas.Activity.model_validate(a) for a in rows], total, params)
