"""Notes (seed 003) on a lead, contact or deal: the list, adding one, and deletion by its
author or a manager; each on the timeline."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import PermissionDenied
from rastro.core.ids import uuid7
from rastro.core.pagination import PageParams, paginate
from rastro.crm import schemas
from rastro.crm.models import Note
from rastro.crm.service import activities
from rastro.crm.service.records import about, fetch, timeline_subjects


async def list_notes(
    session: AsyncSession,
    params: PageParams,
    *,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> tuple[list[Note], int]:
    """Notes of a lead, contact or deal (or all of them), newest first."""
    statement = select(Note).order_by(Note.created_at.desc(), Note.note_id.desc())
    statement = about(statement, Note, lead_id=lead_id, contact_id=contact_id, deal_id=deal_id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def create_note(
    session: AsyncSession, new: schemas.NoteCreate, *, actor: str, author_id: uuid.UUID | None
) -> Note:
    """A note on a lead, contact or deal (404 for one outside the organization)."""
    lead_id, contact_id = await timeline_subjects(
        session, lead_id=new.lead_id, contact_id=new.contact_id, deal_id=new.deal_id
    )
    note = Note(
        note_id=uuid7(),
        author_id=author_id,
        body=new.body,
        lead_id=new.lead_id,
        contact_id=new.contact_id,
        deal_id=new.deal_id,
    )
    session.add(note)
    await session.flush()  # the timeline entry refers to it
    activities.record(
        session,
        "note_added",
        "Note: " + note.body[:200],
        lead_id=lead_id,
        contact_id=contact_id,
        deal_id=note.deal_id,
        actor=actor,
        data={"note_id": str(note.note_id)},
    )
    await session.flush()
    await session.refresh(note)
    return note


async def delete_note(
    session: AsyncSession,
    note_id: uuid.UUID,
    *,
    actor: str,
    user_id: uuid.UUID | None,
    may_delete_any: bool,
) -> None:
    """Delete a note: its author, or a manager (`crm:admin`)."""
    note = await fetch(session, Note, note_id, "Note")
    if not may_delete_any and (user_id is None or note.author_id != user_id):
        raise PermissionDenied("Only the note's author or a manager may delete it.")
    activities.record(
        session,
        "note_deleted",
        "Note deleted",
        lead_id=note.lead_id,
        contact_id=note.contact_id,
        deal_id=note.deal_id,
        actor=actor,
        data={"note_id": str(note.note_id)},
    )
    await session.delete(note)
    await session.flush()
