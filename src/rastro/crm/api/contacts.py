"""Routes of the CRM's contacts: the list, one contact with everything around it,
creation and edits."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from rastro.core.audit import LIST, READ, audited
from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.crm import schemas
from rastro.crm.api.owners import NOT_FOUND, actor, contact_out, lead_summary, owners_of
from rastro.crm.permissions import Read, Write
from rastro.crm.service import contacts

router = APIRouter(route_class=TransactionalRoute, responses={**ERROR_RESPONSES, **NOT_FOUND})


@router.get(
    "/contacts",
    response_model=Page[schemas.Contact],
    tags=["crm"],
    dependencies=[Depends(audited(LIST, "contact"))],
)
async def list_contacts(
    _: Read,
    session: CrmSession,
    params: Pagination,
    q: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
    owner_id: uuid.UUID | None = None,
) -> Page[schemas.Contact]:
    """Contacts, newest first; `q` searches whole words of name, e-mail and company, and
    a phone whole (the fields are encrypted; see `rastro.crm.sealed`)."""
    rows, total = await contacts.list_contacts(session, params, q=q, owner_id=owner_id)
    owners = await owners_of(session, (c.owner_id for c in rows))
    return Page.of([contact_out(c, owners) for c in rows], total, params)


@router.post(
    "/contacts",
    response_model=schemas.Contact,
    status_code=status.HTTP_201_CREATED,
    tags=["crm"],
)
async def create_contact(
    body: schemas.ContactCreate, principal: Write, session: CrmSession
) -> schemas.Contact:
    """Create a contact (409 when another contact has the e-mail)."""
    contact = await contacts.create_contact(session, body, actor=await actor(session, principal))
    return contact_out(contact, await owners_of(session, [contact.owner_id]))


@router.get(
    "/contacts/{contact_id}",
    response_model=schemas.ContactDetail,
    tags=["crm"],
    dependencies=[Depends(audited(READ, "contact", "contact_id"))],
)
async def get_contact(contact_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.ContactDetail:
    """A contact with its leads, deals, tasks, notes and timeline."""
    record = await contacts.contact_record(session, contact_id)
    owners = await owners_of(
        session, [record.contact.owner_id, *(lead.owner_id for lead in record.leads)]
    )
    return schemas.ContactDetail(
        contact=contact_out(record.contact, owners),
        leads=[lead_summary(lead, owners) for lead in record.leads],
        deals=[schemas.Deal.model_validate(d) for d in record.deals],
        tasks=[schemas.Task.model_validate(t) for t in record.tasks],
        notes=[schemas.Note.model_validate(n) for n in record.notes],
        activities=[schemas.Activity.model_validate(a) for a in record.activities],
    )


@router.patch("/contacts/{contact_id}", response_model=schemas.Contact, tags=["crm"])
async def update_contact(
    contact_id: uuid.UUID, body: schemas.ContactUpdate, principal: Write, session: CrmSession
) -> schemas.Contact:
    """Change a contact."""
    contact = await contacts.update_contact(
        session, contact_id, body, actor=await actor(session, principal)
    )
    return contact_out(contact, await owners_of(session, [contact.owner_id]))
