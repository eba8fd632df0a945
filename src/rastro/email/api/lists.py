"""Routes of recipients, audiences, suppressions and unsubscribes (`/api/email/…`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from rastro.core.csv_export import csv_response
from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.email import schemas
from rastro.email.permissions import Read, Write
from rastro.email.service import audiences, contacts, suppressions

router = APIRouter(
    prefix="/api/email",
    tags=["email"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)


@router.get("/contacts", response_model=Page[schemas.EmailContact])
async def list_contacts(
    _: Read,
    session: CrmSession,
    params: Pagination,
    status_: Annotated[schemas.ContactStatus | None, Query(alias="status")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Whole words of the address or name")
    ] = None,
) -> Page[schemas.EmailContact]:
    """Recipients, newest first, optionally of one status or matching a search."""
    items, total = await contacts.list_contacts(session, params, status=status_, search=q)
    return Page.of(items, total, params)


EXPORT_HEADER = (
    "contact_id",
    "email",
    "name",
    "status",
    "tags",
    "created_at",
    "consent_at",
    "consent_ip",
    "confirmed_at",
    "confirmed_ip",
)


@router.get(
    "/contacts/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The contacts as CSV"}},
)
async def export_contacts(
    _: Read,
    session: CrmSession,
    status_: Annotated[schemas.ContactStatus | None, Query(alias="status")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Whole words of the address or name")
    ] = None,
) -> Response:
    """Every recipient the list's filters select (up to 50,000), newest first, as a CSV
    file with the double opt-in proof (UTF-8 with a byte order mark)."""
    rows = await contacts.export_contacts(session, status=status_, search=q)
    return csv_response(
        "email-contacts.csv",
        EXPORT_HEADER,
        (
            (
                str(c.contact_id),
                c.email,
                c.name,
                c.status,
                ", ".join(c.tags),
                c.created_at,
                c.consent_at,
                c.consent_ip,
                c.confirmed_at,
                c.confirmed_ip,
            )
            for c in rows
        ),
    )


@router.get("/contacts/statuses", response_model=list[schemas.ContactStatusCount])
async def contact_statuses(_: Read, session: CrmSession) -> list[schemas.ContactStatusCount]:
    """How many recipients have each status."""
    return await contacts.status_counts(session)


@router.post("/contacts/import", response_model=schemas.ImportResult)
async def import_contacts(
    body: schemas.ContactImport, _: Write, session: CrmSession
) -> schemas.ImportResult:
    """Add or update recipients (the CRM's contacts); bad rows are reported, not stored."""
    return await contacts.import_contacts(session, rows=body.contacts, audience_id=body.audience_id)


@router.get("/audiences", response_model=list[schemas.Audience])
async def list_audiences(_: Read, session: CrmSession) -> list[schemas.Audience]:
    """Audiences with their number of recipients."""
    return await audiences.list_audiences(session)


@router.post("/audiences", response_model=schemas.Audience, status_code=status.HTTP_201_CREATED)
async def create_audience(
    body: schemas.AudienceCreate, _: Write, session: CrmSession
) -> schemas.Audience:
    """A static list or a saved filter."""
    return schemas.Audience.model_validate(await audiences.create_audience(session, new=body))


@router.delete("/audiences/{audience_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_audience(audience_id: uuid.UUID, _: Write, session: CrmSession) -> None:
    """Delete an audience (its contacts stay); 409 while a campaign reaches it."""
    await audiences.delete_audience(session, audience_id=audience_id)


@router.post("/audiences/{audience_id}/contacts", response_model=schemas.MembersAdded)
async def add_members(
    audience_id: uuid.UUID, body: schemas.AudienceMembers, _: Write, session: CrmSession
) -> schemas.MembersAdded:
    """Put recipients on a static list."""
    audience = await audiences.get_audience(session, audience_id=audience_id)
    added = await contacts.add_members(
        session, audience_id=audience.audience_id, contact_ids=body.contact_ids
    )
    return schemas.MembersAdded(added=added)


@router.get("/suppressions", response_model=Page[schemas.Suppression])
async def list_suppressions(
    _: Read, session: CrmSession, params: Pagination
) -> Page[schemas.Suppression]:
    """The suppression list, newest first."""
    items, total = await suppressions.list_suppressions(session, params)
    return Page.of(items, total, params)


@router.post(
    "/suppressions", response_model=schemas.Suppression, status_code=status.HTTP_201_CREATED
)
async def add_suppression(
    body: schemas.SuppressionIn, _: Write, session: CrmSession
) -> schemas.Suppression:
    """Never send to this address again (until the suppression is lifted)."""
    return schemas.Suppression.model_validate(await suppressions.add_suppression(session, new=body))


@router.delete("/suppressions/{suppression_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_suppression(suppression_id: uuid.UUID, _: Write, session: CrmSession) -> None:
    """Lift a suppression."""
    await suppressions.remove_suppression(session, suppression_id=suppression_id)


@router.get("/unsubscribes", response_model=Page[schemas.Unsubscribe])
async def list_unsubscribes(
    _: Read, session: CrmSession, params: Pagination
) -> Page[schemas.Unsubscribe]:
    """Unsubscribes with their scope, source and time (LGPD proof), newest first."""
    items, total = await suppressions.list_unsubscribes(session, params)
    return Page.of(items, total, params)
