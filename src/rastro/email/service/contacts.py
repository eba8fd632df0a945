"""Recipients: the CRM's canonical contacts (created there when new) with their e-mail
status, tags and attributes here. Imports validate every address, skip duplicates inside
the file and report each bad row."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import RastroError
from rastro.core.pagination import PageParams
from rastro.core.references import UnknownReference, check_referenced
from rastro.crm.service import identity, people
from rastro.email import schemas
from rastro.email.models import CONTACT_STATUSES, Audience, AudienceContact, EmailContact


async def import_contacts(
    session: AsyncSession,
    *,
    rows: list[schemas.ContactIn],
    audience_id: uuid.UUID | None = None,
    consent_ip: str | None = None,
) -> schemas.ImportResult:
    """Add or update recipients (and their CRM contacts); on an audience if given. An
    existing recipient keeps its status (an import never re-activates an unsubscribed or
    bounced address) and gains the new tags and attributes."""
    if audience_id is not None:
        await check_referenced(session, Audience, audience_id, field="body.audience_id")
    errors: list[schemas.RowError] = []
    valid: dict[str, schemas.ContactIn] = {}
    duplicates = 0
    for number, row in enumerate(rows, start=1):
        try:
            address = identity.normalize_email(row.email, field="email").address
        except RastroError as error:
            errors.append(schemas.RowError(row=number, email=row.email[:320], message=str(error)))
            continue
        if address in valid:
            duplicates += 1
            continue
        valid[address] = row
    ids = await people.ensure_people(session, people={a: r.name for a, r in valid.items()})
    existing = {
        recipient.contact_id: recipient
        for recipient in await session.scalars(
            select(EmailContact).where(EmailContact.contact_id.in_(list(ids.values())))
        )
    }
    created = updated = 0
    now = datetime.now(UTC)
    for address, row in valid.items():
        contact_id = ids[address]
        recipient = existing.get(contact_id)
        if recipient is None:
            session.add(
                EmailContact(
                    contact_id=contact_id,
                    status=row.status,
                    tags=sorted(set(row.tags)),
                    attributes=dict(row.attributes),
                    consent_at=now if consent_ip else None,
                    consent_ip=consent_ip,
                )
            )
            created += 1
        else:
            recipient.tags = sorted(set(recipient.tags) | set(row.tags))
            recipient.attributes = {**recipient.attributes, **row.attributes}
            updated += 1
    await session.flush()
    if audience_id is not None and valid:
        await add_members(session, audience_id=audience_id, contact_ids=list(ids.values()))
    return schemas.ImportResult(
        created=created, updated=updated, duplicates=duplicates, errors=errors
    )


async def add_members(
    session: AsyncSession, *, audience_id: uuid.UUID, contact_ids: Iterable[uuid.UUID]
) -> int:
    """Put recipients on a static audience (ones already there are skipped); returns how
    many were added. Ids that are not recipients of the organization are refused."""
    wanted = set(contact_ids)
    known = set(
        await session.scalars(
            select(EmailContact.contact_id).where(EmailContact.contact_id.in_(list(wanted)))
        )
    )
    unknown = wanted - known
    if unknown:
        raise UnknownReference(field="body.contact_ids", key=sorted(unknown)[0])
    present = set(
        await session.scalars(
            select(AudienceContact.contact_id).where(
                AudienceContact.audience_id == audience_id,
                AudienceContact.contact_id.in_(list(wanted)),
            )
        )
    )
    new = wanted - present
    session.add_all(AudienceContact(audience_id=audience_id, contact_id=cid) for cid in new)
    await session.flush()
    return len(new)


EXPORT_LIMIT = 50_000


def _listed(status: str | None, search: str | None) -> Select[EmailContact]:
    statement = select(EmailContact).order_by(
        EmailContact.created_at.desc(), EmailContact.contact_id.desc()
    )
    if status is not None:
        statement = statement.where(EmailContact.status == status)
    if search:
        statement = statement.where(EmailContact.contact_id.in_(people.ids_matching(search)))
    return statement


async def _with_people(
    session: AsyncSession, rows: list[EmailContact]
) -> list[schemas.EmailContact]:
    found = await people.people_by_id(session, contact_ids=[r.contact_id for r in rows])
    return [
        schemas.EmailContact(
            contact_id=r.contact_id,
            email=found[r.contact_id].email if r.contact_id in found else "",
            name=found[r.contact_id].name if r.contact_id in found else None,
            status=r.status,
            tags=r.tags,
            attributes=r.attributes,
            soft_bounces=r.soft_bounces,
            consent_at=r.consent_at,
            confirmed_at=r.confirmed_at,
            created_at=r.created_at,
            consent_ip=r.consent_ip,
            confirmed_ip=r.confirmed_ip,
            consent_form_id=r.consent_form_id,
        )
        for r in rows
    ]


async def list_contacts(
    session: AsyncSession,
    params: PageParams,
    *,
    status: str | None = None,
    search: str | None = None,
) -> tuple[list[schemas.EmailContact], int]:
    """Recipients, newest first, with their address and name from the CRM; of one status
    and whose address or name contains `search` when given."""
    statement = _listed(status, search)
    total = await session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery())
    )
    rows = list(await session.scalars(statement.limit(params.page_size).offset(params.offset)))
    return await _with_people(session, rows), int(total or 0)


async def export_contacts(
    session: AsyncSession, *, status: str | None = None, search: str | None = None
) -> list[schemas.EmailContact]:
    """Every recipient the list's filters select, in its order, up to `EXPORT_LIMIT`."""
    rows = list(await session.scalars(_listed(status, search).limit(EXPORT_LIMIT)))
    return await _with_people(session, rows)


async def status_counts(session: AsyncSession) -> list[schemas.ContactStatusCount]:
    """How many recipients have each status (every status listed, zeros included)."""
    counts = dict(
        (
            await session.execute(
                select(EmailContact.status, func.count()).group_by(EmailContact.status)
            )
        ).all()
    )
    return [
        schemas.ContactStatusCount(status=status, contacts=int(counts.get(status, 0)))
        for status in CONTACT_STATUSES
    ]


async def set_status(session: AsyncSession, *, contact_id: uuid.UUID, status: str) -> None:
    """Change a recipient's status (bounces, complaints, suppressions)."""
    await session.execute(
        update(EmailContact).where(EmailContact.contact_id == contact_id).values(status=status)
    )
