"""What the contact, deal, task and note services share: member checks, lookups that 404
outside the organization, the change list a timeline entry carries, and the narrowing of
a list to one lead, contact or deal."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import directory
from rastro.core.errors import NotFound
from rastro.core.references import UnknownReference, check_referenced, referenced
from rastro.crm.models import Activity, Contact, Deal, Lead, Note

_Row = TypeVar("_Row")
_Statement = TypeVar("_Statement", bound=Select[Any])


def as_utc(value: datetime | None) -> datetime | None:
    """A naive datetime read as UTC; None stays None."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def plain(value: object) -> object:
    """A value as a timeline entry's JSON holds it (ids, money and dates as strings)."""
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


async def fetch(session: AsyncSession, model: type[_Row], key: uuid.UUID, label: str) -> _Row:
    """The organization's row of `model` with this key, or 404 naming it `label`."""
    row = await session.get(model, key)
    if row is None:
        raise NotFound(f"{label} not found.", details={"id": str(key)})
    return row


def apply_changes(
    row: object, changes: Mapping[str, Any], allowed: Sequence[str]
) -> dict[str, Any]:
    """Apply `changes` to `row`; return {field: {from, to}} of what really changed."""
    changed: dict[str, Any] = {}
    for name in allowed:
        if name in changes and getattr(row, name) != changes[name]:
            changed[name] = {"from": plain(getattr(row, name)), "to": plain(changes[name])}
            setattr(row, name, changes[name])
    return changed


async def timeline_subjects(
    session: AsyncSession,
    *,
    lead_id: uuid.UUID | None,
    contact_id: uuid.UUID | None,
    deal_id: uuid.UUID | None,
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """422 `unknown_reference` for a lead/contact/deal that is not the organization's;
    returns the lead and contact the timeline entry is filed under."""
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


def about(
    statement: _Statement, model: type[Note] | type[Activity], **subjects: uuid.UUID | None
) -> _Statement:
    """Narrow a list of notes or timeline entries to the lead, contact or deal asked for."""
    for name, value in subjects.items():
        if value is not None:
            statement = statement.where(getattr(model, name) == value)
    return statement
