"""Contacts, deals, tasks, notes and the activity feed (seed 003). Every create and change
writes a timeline entry through `activities.record` in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import directory
from rastro.core.errors import Conflict, NotFound, PermissionDenied, UnprocessableEntity
from rastro.core.ids import uuid7
from rastro.core.pagination import PageParams, paginate
from rastro.core.references import UnknownReference, check_referenced, referenced
from rastro.crm.models import (
    STAGE_PROBABILITY,
    Activity,
    Contact,
    Deal,
    Lead,
    Note,
    Task,
)
from rastro.crm.service import activities, settings
from rastro.crm.service.identity import normalize_email, normalize_phone
from rastro.crm.service.leads import DETAIL_ACTIVITIES, search_condition

CLOSED_STAGES = ("won", "lost")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def check_members(session: AsyncSession, **user_ids: uuid.UUID | None) -> None:
    """422 `unknown_reference` unless every given owner/assignee is an active member of the
    organization."""
    members = await directory.members_by_id(session, user_ids.values())
    for field_name, user_id in user_ids.items():
        if user_id is not None and user_id not in members:
            raise UnknownReference(field=field_name, key=user_id)


async def members(
    session: AsyncSession, user_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, directory.MemberRef]:
    """Names and e-mails of owners/assignees, for display (one query)."""
    return await directory.members_by_id(session, user_ids)


async def _get(session: AsyncSession, model: type[Any], key: uuid.UUID, label: str) -> Any:
    row = await session.get(model, key)
    if row is None:
        raise NotFound(f"{label} not found.", details={"id": str(key)})
    return row


def _changes(row: Any, changes: dict[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    """Apply `changes` to `row`; return {field: {from, to}} of what really changed."""
    changed: dict[str, Any] = {}
    for name in allowed:
        if name in changes and getattr(row, name) != changes[name]:
            changed[name] = {"from": _plain(getattr(row, name)), "to": _plain(changes[name])}
            setattr(row, name, changes[name])
    return changed


# --- contacts -------------------------------------------------------------------------------


async def _identity(session: AsyncSession, contact: Contact, changes: dict[str, Any]) -> None:
    """Normalize and hash e-mail and phone exactly as lead capture does (`identity`)."""
    if changes.get("email") is not None:
        email = normalize_email(str(changes["email"]), field="body.email")
        taken = await session.scalar(
            select(Contact.contact_id).where(
                Contact.email == email.address, Contact.contact_id != contact.contact_id
            )
        )
        if taken is not None:
            raise Conflict(
                "Another contact has this e-mail.",
                details={"field": "email", "contact_id": str(taken)},
            )
        changes["email"] = email.address
        contact.hashed_email = email.hashed
    if changes.get("phone") is not None:
        rules = await settings.current(session)
        phone = normalize_phone(str(changes["phone"]), rules.default_country, field="body.phone")
        changes["phone"] = phone.e164
        contact.hashed_phone = phone.hashed


async def list_contacts(
    session: AsyncSession, params: PageParams, *, q: str | None, owner_id: uuid.UUID | None
) -> tuple[list[Contact], int]:
    statement = select(Contact).order_by(Contact.created_at.desc(), Contact.contact_id.desc())
    if q:
        statement = statement.where(await search_condition(session, Contact.contact_id, q))
    if owner_id is not None:
        statement = statement.where(Contact.owner_id == owner_id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def get_contact(session: AsyncSession, contact_id: uuid.UUID) -> Contact:
    contact: Contact = await _get(session, Contact, contact_id, "Contact")
    return contact


_CONTACT_FIELDS = ("email", "phone", "name", "company", "owner_id", "external_id", "metadata_")


async def create_contact(session: AsyncSession, *, actor: str, **fields: Any) -> Contact:
    """A new contact (409 when the e-mail belongs to another one)."""
    await check_members(session, owner_id=fields.get("owner_id"))
    contact = Contact(contact_id=uuid7(), visitor_ids=[])
    await _identity(session, contact, fields)
    for name in _CONTACT_FIELDS:
        if name in fields:
            setattr(contact, name, fields[name])
    session.add(contact)
    await session.flush()  # the timeline entry refers to it
    activities.record(
        session,
        "contact_created",
        f"Contact created: {contact.name or contact.email or contact.phone}",
        contact_id=contact.contact_id,
        actor=actor,
    )
    await session.flush()
    await session.refresh(contact)
    return contact


async def update_contact(
    session: AsyncSession, contact_id: uuid.UUID, changes: dict[str, Any], *, actor: str
) -> Contact:
    contact = await get_contact(session, contact_id)
    if "owner_id" in changes:
        await check_members(session, owner_id=changes["owner_id"])
    for required in ("email", "phone"):
        if required in changes and changes[required] is None:
            changes.pop(required)  # identity is not erased by a patch
    await _identity(session, contact, changes)
    changed = _changes(contact, changes, _CONTACT_FIELDS)
    if changed:
        activities.record(
            session,
            "contact_updated",
            "Contact changed: " + ", ".join(sorted(changed)),
            contact_id=contact.contact_id,
            actor=actor,
            data={"changes": changed},
        )
        await session.flush()
        await session.refresh(contact)
    return contact


@dataclass
class ContactRecord:
    contact: Contact
    leads: list[Lead]
    deals: list[Deal]
    tasks: list[Task]
    notes: list[Note]
    activities: list[Activity]


async def contact_record(session: AsyncSession, contact_id: uuid.UUID) -> ContactRecord:
    """A contact with its leads, deals, tasks, notes and timeline (six queries)."""
    contact = await get_contact(session, contact_id)
    lead_ids = select(Lead.lead_id).where(Lead.contact_id == contact_id).scalar_subquery()
    leads = list(
        await session.scalars(
            select(Lead).where(Lead.contact_id == contact_id).order_by(Lead.created_at.desc())
        )
    )
    deals = list(
        await session.scalars(
            select(Deal)
            .where(or_(Deal.contact_id == contact_id, Deal.lead_id.in_(lead_ids)))
            .order_by(Deal.created_at.desc())
        )
    )
    tasks = list(
        await session.scalars(
            select(Task)
            .where(or_(Task.contact_id == contact_id, Task.lead_id.in_(lead_ids)))
            .order_by(Task.done, Task.due_at.asc().nulls_last(), Task.created_at)
        )
    )
    notes = list(
        await session.scalars(
            select(Note)
            .where(or_(Note.contact_id == contact_id, Note.lead_id.in_(lead_ids)))
            .order_by(Note.created_at.desc())
        )
    )
    timeline = list(
        await session.scalars(
            select(Activity)
            .where(or_(Activity.contact_id == contact_id, Activity.lead_id.in_(lead_ids)))
            .order_by(Activity.created_at.desc(), Activity.activity_id.desc())
            .limit(DETAIL_ACTIVITIES)
        )
    )
    return ContactRecord(contact, leads, deals, tasks, notes, timeline)


# --- deals --------------------------------------------------------------------------------------


async def list_deals(
    session: AsyncSession,
    params: PageParams,
    *,
    stages: Sequence[str] = (),
    owner_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
) -> tuple[list[Deal], int]:
    conditions: list[ColumnElement[bool]] = []
    if stages:
        conditions.append(Deal.stage.in_(list(stages)))
    if owner_id is not None:
        conditions.append(Deal.owner_id == owner_id)
    if lead_id is not None:
        conditions.append(Deal.lead_id == lead_id)
    if contact_id is not None:
        conditions.append(Deal.contact_id == contact_id)
    if created_from is not None:
        conditions.append(Deal.created_at >= _utc(created_from))
    if created_to is not None:
        conditions.append(Deal.created_at < _utc(created_to))
    if close_from is not None:
        conditions.append(Deal.expected_close_date >= close_from)
    if close_to is not None:
        conditions.append(Deal.expected_close_date <= close_to)
    statement = (
        select(Deal).where(*conditions).order_by(Deal.created_at.desc(), Deal.deal_id.desc())
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def get_deal(session: AsyncSession, deal_id: uuid.UUID) -> Deal:
    deal: Deal = await _get(session, Deal, deal_id, "Deal")
    return deal


async def create_deal(session: AsyncSession, *, actor: str, **fields: Any) -> Deal:
    """A deal of a lead and/or contact (the lead's contact when only the lead is given)."""
    await check_members(session, owner_id=fields.get("owner_id"))
    await check_referenced(session, Contact, fields.get("contact_id"), field="contact_id")
    if fields.get("lead_id") is not None:
        lead = await referenced(session, Lead, fields["lead_id"], field="lead_id")
        if fields.get("contact_id") is None:
            fields["contact_id"] = lead.contact_id
    if fields.get("probability") is None:
        fields["probability"] = STAGE_PROBABILITY[fields.get("stage", "new")]
    deal = Deal(deal_id=uuid7(), **fields)
    if deal.stage in CLOSED_STAGES:
        deal.closed_at = datetime.now(UTC)
    session.add(deal)
    await session.flush()  # the timeline entry refers to it
    activities.record(
        session,
        "deal_created",
        f"Deal created: {deal.name}",
        lead_id=deal.lead_id,
        contact_id=deal.contact_id,
        deal_id=deal.deal_id,
        actor=actor,
        data={"value": _plain(deal.value), "currency": deal.currency, "stage": deal.stage},
    )
    await session.flush()
    await session.refresh(deal)
    return deal


_DEAL_FIELDS = (
    "name",
    "value",
    "currency",
    "stage",
    "probability",
    "owner_id",
    "expected_close_date",
    "external_id",
)


async def update_deal(
    session: AsyncSession, deal_id: uuid.UUID, changes: dict[str, Any], *, actor: str
) -> Deal:
    """Change a deal; a stage change is its own timeline entry and opens/closes the deal."""
    deal = await get_deal(session, deal_id)
    if "owner_id" in changes:
        await check_members(session, owner_id=changes["owner_id"])
    for required in ("name", "currency", "stage"):
        if required in changes and changes[required] is None:
            raise UnprocessableEntity(f"`{required}` cannot be empty.", details={"field": required})
    previous_stage = deal.stage
    changed = _changes(deal, changes, _DEAL_FIELDS)
    others = {k: v for k, v in changed.items() if k != "stage"}
    if others:
        activities.record(
            session,
            "deal_updated",
            f"Deal {deal.name} changed: " + ", ".join(sorted(others)),
            lead_id=deal.lead_id,
            contact_id=deal.contact_id,
            deal_id=deal.deal_id,
            actor=actor,
            data={"changes": others},
        )
    if "stage" in changed:
        deal.closed_at = datetime.now(UTC) if deal.stage in CLOSED_STAGES else None
        if "probability" not in changes:
            deal.probability = STAGE_PROBABILITY[deal.stage]
        activities.record(
            session,
            "deal_stage_changed",
            f"Deal {deal.name}: {previous_stage} → {deal.stage}",
            lead_id=deal.lead_id,
            contact_id=deal.contact_id,
            deal_id=deal.deal_id,
            actor=actor,
            data={"from": previous_stage, "to": deal.stage, "value": _plain(deal.value)},
        )
    if changed:
        await session.flush()
        await session.refresh(deal)
    return deal


async def delete_deal(session: AsyncSession, deal_id: uuid.UUID, *, actor: str) -> None:
    """Delete a deal (its tasks and notes go with it); the lead's timeline keeps a line."""
    deal = await get_deal(session, deal_id)
    activities.record(
        session,
        "deal_deleted",
        f"Deal deleted: {deal.name}",
        lead_id=deal.lead_id,
        contact_id=deal.contact_id,
        actor=actor,
        data={"deal_id": str(deal.deal_id), "value": _plain(deal.value), "stage": deal.stage},
    )
    await session.delete(deal)
    await session.flush()


# --- tasks --------------------------------------------------------------------------------------


async def _subjects(
    session: AsyncSession,
    *,
    lead_id: uuid.UUID | None,
    contact_id: uuid.UUID | None,
    deal_id: uuid.UUID | None,
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """422 for a lead/contact/deal that is not the organization's; returns the lead and
    contact the timeline entry is filed under."""
    timeline_lead, timeline_contact = lead_id, contact_id
    if deal_id is not None:
        deal = await referenced(session, Deal, deal_id, field="deal_id")
        timeline_lead = timeline_lead or deal.lead_id
        timeline_contact = timeline_contact or deal.contact_id
    if lead_id is not None:
        lead = await referenced(session, Lead, lead_id, field="lead_id")
        timeline_contact = timeline_contact or lead.contact_id
    await check_referenced(session, Contact, contact_id, field="contact_id")
    return timeline_lead, timeline_contact


async def list_tasks(
    session: AsyncSession,
    params: PageParams,
    *,
    assignee_id: uuid.UUID | None = None,
    done: bool | None = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> tuple[list[Task], int]:
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (Task.assignee_id, assignee_id),
        (Task.lead_id, lead_id),
        (Task.contact_id, contact_id),
        (Task.deal_id, deal_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if done is not None:
        conditions.append(Task.done.is_(done))
    if due_before is not None:
        conditions.append(Task.due_at < _utc(due_before))
    if due_after is not None:
        conditions.append(Task.due_at >= _utc(due_after))
    statement = (
        select(Task)
        .where(*conditions)
        .order_by(Task.done, Task.due_at.asc().nulls_last(), Task.created_at, Task.task_id)
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def get_task(session: AsyncSession, task_id: uuid.UUID) -> Task:
    task: Task = await _get(session, Task, task_id, "Task")
    return task


async def create_task(
    session: AsyncSession, *, actor: str, created_by_id: uuid.UUID | None, **fields: Any
) -> Task:
    await check_members(session, assignee_id=fields.get("assignee_id"))
    lead_id, contact_id = await _subjects(
        session,
        lead_id=fields.get("lead_id"),
        contact_id=fields.get("contact_id"),
        deal_id=fields.get("deal_id"),
    )
    fields["due_at"] = _utc(fields.get("due_at"))
    task = Task(task_id=uuid7(), created_by_id=created_by_id, done=False, **fields)
    session.add(task)
    await session.flush()  # the timeline entry refers to it
    activities.record(
        session,
        "task_created",
        f"Task: {task.title}",
        lead_id=lead_id,
        contact_id=contact_id,
        deal_id=task.deal_id,
        actor=actor,
        data={"task_id": str(task.task_id), "due_at": _plain(task.due_at)},
    )
    await session.flush()
    await session.refresh(task)
    return task


async def update_task(
    session: AsyncSession, task_id: uuid.UUID, changes: dict[str, Any], *, actor: str
) -> Task:
    """Change a task; `done` stamps (or clears) `done_at`."""
    task = await get_task(session, task_id)
    if "assignee_id" in changes:
        await check_members(session, assignee_id=changes["assignee_id"])
    for required in ("title", "done"):
        if required in changes and changes[required] is None:
            raise UnprocessableEntity(f"`{required}` cannot be empty.", details={"field": required})
    if "due_at" in changes:
        changes["due_at"] = _utc(changes["due_at"])
    changed = _changes(task, changes, ("title", "description", "due_at", "assignee_id", "done"))
    if not changed:
        return task
    if "done" in changed:
        task.done_at = datetime.now(UTC) if task.done else None
    kind = "task_updated"
    if set(changed) == {"done"}:
        kind = "task_done" if task.done else "task_reopened"
    activities.record(
        session,
        kind,
        f"Task {'done' if kind == 'task_done' else 'changed'}: {task.title}",
        lead_id=task.lead_id,
        contact_id=task.contact_id,
        deal_id=task.deal_id,
        actor=actor,
        data={"task_id": str(task.task_id), "changes": changed},
    )
    await session.flush()
    await session.refresh(task)
    return task


async def delete_task(session: AsyncSession, task_id: uuid.UUID, *, actor: str) -> None:
    task = await get_task(session, task_id)
    activities.record(
        session,
        "task_deleted",
        f"Task deleted: {task.title}",
        lead_id=task.lead_id,
        contact_id=task.contact_id,
        deal_id=task.deal_id,
        actor=actor,
        data={"task_id": str(task.task_id)},
    )
    await session.delete(task)
    await session.flush()


_S = TypeVar("_S", bound=Select[Any])


def _about(statement: _S, model: Any, **subjects: uuid.UUID | None) -> _S:
    """Narrow a list of notes or timeline entries to the lead, contact or deal asked for."""
    for name, value in subjects.items():
        if value is not None:
            statement = statement.where(getattr(model, name) == value)
    return statement


# --- notes --------------------------------------------------------------------------------------


async def list_notes(
    session: AsyncSession,
    params: PageParams,
    *,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> tuple[list[Note], int]:
    statement = select(Note).order_by(Note.created_at.desc(), Note.note_id.desc())
    statement = _about(statement, Note, lead_id=lead_id, contact_id=contact_id, deal_id=deal_id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def create_note(
    session: AsyncSession, *, actor: str, author_id: uuid.UUID | None, **fields: Any
) -> Note:
    lead_id, contact_id = await _subjects(
        session,
        lead_id=fields.get("lead_id"),
        contact_id=fields.get("contact_id"),
        deal_id=fields.get("deal_id"),
    )
    note = Note(note_id=uuid7(), author_id=author_id, **fields)
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
    note: Note = await _get(session, Note, note_id, "Note")
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


# --- activities ---------------------------------------------------------------------------------


async def list_activities(
    session: AsyncSession,
    params: PageParams,
    *,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> tuple[list[Activity], int]:
    """The timeline, newest first (of one lead, contact or deal, or the organization's)."""
    statement = select(Activity).order_by(Activity.created_at.desc(), Activity.activity_id.desc())
    statement = _about(statement, Activity, lead_id=lead_id, contact_id=contact_id, deal_id=deal_id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total
