"""A person as a data subject (the privacy module's export and erasure): find their
contacts and leads by e-mail or phone, list what the CRM holds about them, and erase it.

Erasure anonymises in place rather than deleting: a lead keeps its stage, value, dates
and attribution (the reports and the pipeline add up the same), and loses everything
that names or reaches the person (name, e-mail, phone, company, message, hashes, visitor
ids, metadata); notes, tasks and activities (free text about them) are deleted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.subjects import ErasedCounts, SubjectRows, rows_where
from rastro.crm.models import Activity, Contact, Deal, Lead, LeadStage, Note, SearchTerm, Task
from rastro.crm.service import settings
from rastro.crm.service.identity import normalize_email, normalize_phone


@dataclass(frozen=True)
class SubjectIds:
    """Everything that identifies one person across the modules."""

    email: str | None = None  # normalized
    phone: str | None = None  # E.164
    contact_ids: tuple[uuid.UUID, ...] = ()
    lead_ids: tuple[uuid.UUID, ...] = ()
    visitor_ids: tuple[str, ...] = ()
    session_ids: tuple[str, ...] = ()
    hashed: tuple[str, ...] = field(default=())  # SHA-256 of the e-mail and phone

    @property
    def found(self) -> bool:
        return bool(self.contact_ids or self.lead_ids)


@dataclass(frozen=True)
class SubjectQuery:
    """A person as given: the e-mail and phone normalized (a 422 if either is invalid)."""

    email: str | None
    phone: str | None
    hashed_email: str | None
    hashed_phone: str | None


async def subject_query(
    session: AsyncSession, *, email: str | None, phone: str | None
) -> SubjectQuery:
    """Normalize the identifiers a request names (phones without `+` in the organization's
    country)."""
    normalized_email = normalize_email(email) if email else None
    normalized_phone = None
    if phone:
        country = (await settings.current(session)).default_country or "BR"
        normalized_phone = normalize_phone(phone, country)
    return SubjectQuery(
        email=normalized_email.address if normalized_email else None,
        phone=normalized_phone.e164 if normalized_phone else None,
        hashed_email=normalized_email.hashed if normalized_email else None,
        hashed_phone=normalized_phone.hashed if normalized_phone else None,
    )


def _matches(model: type[Contact] | type[Lead], query: SubjectQuery) -> ColumnElement[bool]:
    conditions = []
    if query.hashed_email:
        conditions.append(model.hashed_email == query.hashed_email)
    if query.hashed_phone:
        conditions.append(model.hashed_phone == query.hashed_phone)
    return or_(*conditions) if conditions else false()


async def find_subject(session: AsyncSession, *, query: SubjectQuery) -> SubjectIds:
    """The contacts and leads of the person (by the hashes of their e-mail or phone), and
    the visitor and session ids stitched to them."""
    contacts = (
        await session.execute(
            select(Contact.contact_id, Contact.visitor_ids).where(_matches(Contact, query))
        )
    ).all()
    contact_ids = {row[0] for row in contacts}
    visitor_ids = {visitor for row in contacts for visitor in row[1] or ()}
    lead_filter = _matches(Lead, query)
    if contact_ids:
        lead_filter = or_(lead_filter, Lead.contact_id.in_(contact_ids))
    leads = (
        await session.execute(
            select(Lead.lead_id, Lead.contact_id, Lead.visitor_id, Lead.session_id).where(
                lead_filter
            )
        )
    ).all()
    contact_ids |= {row[1] for row in leads}
    visitor_ids |= {row[2] for row in leads if row[2]}
    session_ids = {row[3] for row in leads if row[3]}
    return SubjectIds(
        email=query.email,
        phone=query.phone,
        contact_ids=tuple(sorted(contact_ids)),
        lead_ids=tuple(sorted(row[0] for row in leads)),
        visitor_ids=tuple(sorted(visitor_ids)),
        session_ids=tuple(sorted(session_ids)),
        hashed=tuple(h for h in (query.hashed_email, query.hashed_phone) if h),
    )


def _of_person(
    model: type[Note] | type[Task] | type[Activity] | type[Deal], ids: SubjectIds
) -> ColumnElement[bool]:
    return or_(model.lead_id.in_(ids.lead_ids), model.contact_id.in_(ids.contact_ids))


async def subject_data(session: AsyncSession, *, ids: SubjectIds) -> SubjectRows:
    """What the CRM holds about the person, per table."""
    if not ids.found:
        return {}
    return {
        "contacts": await rows_where(
            session, Contact.__table__, Contact.contact_id.in_(ids.contact_ids)
        ),
        "leads": await rows_where(session, Lead.__table__, Lead.lead_id.in_(ids.lead_ids)),
        "lead_stages": await rows_where(
            session, LeadStage.__table__, LeadStage.lead_id.in_(ids.lead_ids)
        ),
        "deals": await rows_where(session, Deal.__table__, _of_person(Deal, ids)),
        "notes": await rows_where(session, Note.__table__, _of_person(Note, ids)),
        "tasks": await rows_where(session, Task.__table__, _of_person(Task, ids)),
        "activities": await rows_where(session, Activity.__table__, _of_person(Activity, ids)),
    }


async def erase_subject(session: AsyncSession, *, ids: SubjectIds) -> ErasedCounts:
    """Anonymise the person's contacts and leads, and delete the free text about them."""
    if not ids.found:
        return {}
    erased: ErasedCounts = {}
    for name, model in (("notes", Note), ("tasks", Task), ("activities", Activity)):
        result = await session.execute(delete(model).where(_of_person(model, ids)))
        erased[name] = int(getattr(result, "rowcount", 0) or 0)
    stages = await session.execute(
        update(LeadStage)
        .where(LeadStage.lead_id.in_(ids.lead_ids))
        .values(reason=None, changed_by="erased")
        .execution_options(synchronize_session=False)
    )
    erased["lead_stages"] = int(getattr(stages, "rowcount", 0) or 0)
    # Bulk updates skip the mapper events that keep the blind indexes and search words of
    # the encrypted fields: both are cleared here, and no in-session object is evaluated
    # against the encrypted columns (they refuse comparisons).
    await session.execute(
        delete(SearchTerm).where(SearchTerm.record_id.in_([*ids.lead_ids, *ids.contact_ids]))
    )
    leads = await session.execute(
        update(Lead)
        .where(Lead.lead_id.in_(ids.lead_ids))
        .values(
            name=None,
            email=None,
            email_index=None,
            hashed_email=None,
            phone=None,
            phone_index=None,
            hashed_phone=None,
            company=None,
            message=None,
            visitor_id=None,
            external_id=None,
            email_domain=None,
            metadata_={},
            form_index=None,
            form_fields_kept=False,
            idempotency_key=None,
        )
        .execution_options(synchronize_session=False)
    )
    erased["leads"] = int(getattr(leads, "rowcount", 0) or 0)
    contacts = await session.execute(
        update(Contact)
        .where(Contact.contact_id.in_(ids.contact_ids))
        .values(
            name=None,
            email=None,
            email_index=None,
            hashed_email=None,
            phone=None,
            phone_index=None,
            hashed_phone=None,
            company=None,
            visitor_ids=[],
            external_id=None,
            metadata_={},
        )
        .execution_options(synchronize_session=False)
    )
    erased["contacts"] = int(getattr(contacts, "rowcount", 0) or 0)
    deals = await session.execute(
        update(Deal)
        .where(_of_person(Deal, ids))
        .values(name="—")
        .execution_options(synchronize_session=False)
    )
    erased["deals"] = int(getattr(deals, "rowcount", 0) or 0)
    return erased
