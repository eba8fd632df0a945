"""What the CRM's routers share: the label a change is recorded under, and responses with
their owner (a member of the organization) filled in."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import directory
from rastro.core.principal import Principal
from rastro.crm import schemas
from rastro.crm.models import Contact, Lead
from rastro.crm.service import records

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found in the caller's organization."}
}

Owners = dict[uuid.UUID, directory.MemberRef]


async def actor(session: AsyncSession, principal: Principal) -> str:
    """Who made a change, as the timeline shows it."""
    return await directory.actor_label(session, kind=principal.kind, principal_id=principal.id)


def member_ref(owners: Owners, user_id: uuid.UUID | None) -> schemas.MemberRef | None:
    """The owner's name and e-mail, when the owner is a member."""
    member = owners.get(user_id) if user_id is not None else None
    return schemas.MemberRef(id=member.id, name=member.name, email=member.email) if member else None


async def owners_of(session: AsyncSession, user_ids: Iterable[uuid.UUID | None]) -> Owners:
    """The members among these owners (one query)."""
    return await records.members(session, user_ids)


def lead_summary(lead: Lead, owners: Owners) -> schemas.LeadSummary:
    """A lead as lists show it, with its owner."""
    out = schemas.LeadSummary.model_validate(lead)
    out.owner = member_ref(owners, lead.owner_id)
    return out


def lead_out(lead: Lead, owners: Owners) -> schemas.Lead:
    """A lead with its owner."""
    out = schemas.Lead.model_validate(lead)
    out.owner = member_ref(owners, lead.owner_id)
    return out


def contact_out(contact: Contact, owners: Owners) -> schemas.Contact:
    """A contact with its owner."""
    out = schemas.Contact.model_validate(contact)
    out.owner = member_ref(owners, contact.owner_id)
    return out
