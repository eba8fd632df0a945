"""Contacts (seed 003): the list, one contact with everything around it, creation and
edits. E-mail and phone are normalized and hashed as lead capture does; every create and
change writes a timeline entry in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import Conflict
from rastro.core.ids import uuid7
from rastro.core.pagination import PageParams, paginate
from rastro.core.personal import blind_index
from rastro.crm import schemas
from rastro.crm.models import Activity, Contact, Deal, Lead, Note, Task
from rastro.crm.service import activities, settings
from rastro.crm.service.identity import normalize_email, normalize_phone
from rastro.crm.service.leads import DETAIL_ACTIVITIES, search_condition
from rastro.crm.service.records import apply_changes, check_members, fetch

_CONTACT_FIELDS = ("email", "phone", "name", "company", "owner_id", "external_id", "metadata_")


def _fields(given: schemas.ContactCreate | schemas.ContactUpdate) -> dict[str, Any]:
    """The fields the caller set, named as the table names them."""
    fields = given.model_dump(exclude_unset=True)
    if "metadata" in fields:
        fields["metadata_"] = fields.pop("metadata") or {}
    return fields


async def _identity(session: AsyncSession, contact: Contact, changes: dict[str, Any]) -> None:
    """Normalize and hash e-mail and phone exactly as lead capture does (`identity`)."""
    if changes.get("email") is not None:
        email = normalize_email(str(changes["email"]), field="body.email")
        taken = await session.scalar(
            select(Contact.contact_id).where(
                Contact.email_index == blind_index("email", email.address),
                Contact.contact_id != contact.contact_id,
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
    """Contacts, newest first; `q` searches name, e-mail, company and phone by prefix."""
    statement = select(Contact).order_by(Contact.created_at.desc(), Contact.contact_id.desc())
    if q:
        statement = statement.where(await search_condition(session, Contact.contact_id, q))
    if owner_id is not None:
        statement = statement.where(Contact.owner_id == owner_id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def get_contact(session: AsyncSession, contact_id: uuid.UUID) -> Contact:
    """One contact of the organization (404 otherwise)."""
    return await fetch(session, Contact, contact_id, "Contact")


async def create_contact(
    session: AsyncSession, new: schemas.ContactCreate, *, actor: str
) -> Contact:
    """A new contact (409 when the e-mail belongs to another one)."""
    fields = _fields(new)
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
        data={"name": contact.name or contact.email or contact.phone},
    )
    await session.flush()
    await session.refresh(contact)
    return contact


async def update_contact(
    session: AsyncSession, contact_id: uuid.UUID, update: schemas.ContactUpdate, *, actor: str
) -> Contact:
    """Change the fields the caller set (a null e-mail or phone is ignored, not erased)."""
    contact = await get_contact(session, contact_id)
    changes = _fields(update)
    if "owner_id" in changes:
        await check_members(session, owner_id=changes["owner_id"])
    for required in ("email", "phone"):
        if required in changes and changes[required] is None:
            changes.pop(required)  # identity is not erased by a patch
    await _identity(session, contact, changes)
    changed = apply_changes(contact, changes, _CONTACT_FIELDS)
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
