"""The CRM's canonical contacts as other modules see them (the e-mail module's
recipients): find or create people by e-mail, read their addresses, and the leads and won
deals that followed a moment (attribution of a campaign's clicks). Values cross the module
line as frozen dataclasses, never ORM rows."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Row,
    Select,
    String,
    Table,
    Text,
    Uuid,
    any_,
    bindparam,
    case,
    exists,
    func,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rastro.core.db import TenantScopeMissing, get_scope
from rastro.core.ids import uuid7
from rastro.core.personal import blind_index
from rastro.crm.models import Contact, Deal, Lead, SearchTerm
from rastro.crm.sealed import index_values, query_tokens, sealed, terms
from rastro.crm.service.identity import sha256_hex
from rastro.crm.service.leads import search_terms


@dataclass(frozen=True, slots=True)
class Person:
    contact_id: uuid.UUID
    email: str
    name: str | None


@dataclass(frozen=True, slots=True)
class LeadOutcome:
    """A lead of a contact, and what it brought in: its won deals, or, without any, its
    value in the pipeline once the lead is won."""

    lead_id: uuid.UUID
    contact_id: uuid.UUID
    created_at: datetime
    stage: str
    won_value: Decimal
    currency: str | None


@dataclass(frozen=True, slots=True)
class LeadState:
    """Where a lead stands: its stage and its score grade (A best … D)."""

    lead_id: uuid.UUID
    contact_id: uuid.UUID
    stage: str
    grade: str


async def lead_states(
    session: AsyncSession,
    *,
    lead_ids: Iterable[uuid.UUID] = (),
    contact_ids: Iterable[uuid.UUID] = (),
) -> tuple[dict[uuid.UUID, LeadState], dict[uuid.UUID, LeadState]]:
    """The organization's leads among `lead_ids` by id, and the latest lead of each of
    `contact_ids` by contact (contacts without a lead are absent)."""
    wanted, contacts = list(lead_ids), list(contact_ids)
    by_lead: dict[uuid.UUID, LeadState] = {}
    latest: dict[uuid.UUID, LeadState] = {}
    columns = (Lead.lead_id, Lead.contact_id, Lead.current_stage, Lead.lead_score)
    if wanted:
        for row in await session.execute(select(*columns).where(Lead.lead_id.in_(wanted))):
            by_lead[row[0]] = LeadState(row[0], row[1], row[2], row[3])
    if contacts:
        rows = await session.execute(
            select(*columns)
            .where(Lead.contact_id.in_(contacts))
            .order_by(Lead.created_at.desc(), Lead.lead_id.desc())
        )
        for row in rows:
            latest.setdefault(row[1], LeadState(row[0], row[1], row[2], row[3]))
    return by_lead, latest


async def ensure_people(
    session: AsyncSession, *, people: Mapping[str, str | None]
) -> dict[str, uuid.UUID]:
    """The contact id of each e-mail address (already normalized by `normalize_email`),
    creating the contacts that do not exist yet with the given names and naming the
    existing ones that have none (`upsert_people`)."""
    return await upsert_people(
        session, people={address: PersonDetails(name=name) for address, name in people.items()}
    )


@dataclass(frozen=True, slots=True)
class PersonDetails:
    """What an import or a form knows of a person: a name and a phone (E.164, validated
    by `identity.parse_phone`)."""

    name: str | None = None
    phone: str | None = None


_CONTACTS = cast(Table, Contact.__table__)
# Only what the contact lacks (the values given already sealed: a coalesce of a ciphertext).
_FILL_IN = (
    update(_CONTACTS)
    .where(_CONTACTS.c.contact_id == bindparam("id_"))
    .values(
        name=func.coalesce(_CONTACTS.c.name, type_coerce(bindparam("name_"), Text())),
        hashed_phone=case(
            (_CONTACTS.c.phone.is_(None), bindparam("hashed_phone_")),
            else_=_CONTACTS.c.hashed_phone,
        ),
        phone_index=case(
            (_CONTACTS.c.phone.is_(None), bindparam("phone_index_")),
            else_=_CONTACTS.c.phone_index,
        ),
        phone=func.coalesce(_CONTACTS.c.phone, type_coerce(bindparam("phone_"), Text())),
    )
)


async def upsert_people(
    session: AsyncSession, *, people: Mapping[str, PersonDetails]
) -> dict[str, uuid.UUID]:
    """The contact id of each e-mail address (already normalized by `normalize_email`):
    the missing contacts created with their name and phone, the existing ones given the
    name and phone they lack (what the CRM knows is never overwritten). A constant
    number of statements whatever the number of people (bulk imports)."""
    addresses = list(people)
    if not addresses:
        return {}
    scope = get_scope(session)
    if scope is None or scope.organization_id is None:
        raise TenantScopeMissing("upsert_people needs an organization scope")
    by_index = {blind_index("email", address): address for address in addresses}
    found = await session.execute(
        select(Contact.email_index, Contact.contact_id, Contact.name, Contact.phone).where(
            Contact.email_index == any_(bindparam("emails", list(by_index), type_=ARRAY(String)))
        )
    )
    ids: dict[str, uuid.UUID] = {}
    fill_in = []
    filled_terms: dict[uuid.UUID, dict[str, Any]] = {}
    for index, contact_id, name, phone in found.all():
        email = by_index.get(index or "")
        if email is None:
            continue
        ids[email] = contact_id
        known = people[email]
        if (known.name and not name) or (known.phone and not phone):
            fill_in.append(
                {
                    "id_": contact_id,
                    "name_": sealed("contacts", "name", known.name),
                    "phone_": sealed("contacts", "phone", known.phone),
                    "phone_index_": blind_index("phone", known.phone),
                    "hashed_phone_": sha256_hex(known.phone) if known.phone else None,
                }
            )
            filled_terms[contact_id] = {
                "name": None if name else known.name,
                "phone": None if phone else known.phone,
            }
    new: list[dict[str, Any]] = []
    for address in addresses:
        if address in ids:
            continue
        ids[address] = uuid7()
        known = people[address]
        new.append(
            {
                "contact_id": ids[address],
                "organization_id": scope.organization_id,
                "email": address,
                "hashed_email": sha256_hex(address),
                "name": known.name,
                "phone": known.phone,
                "hashed_phone": sha256_hex(known.phone) if known.phone else None,
                **index_values(address, known.phone),
            }
        )
    if new:
        # A concurrent request (the same form submitted twice at once) may have created
        # some of them since: theirs are kept, and their ids read back.
        inserted = (
            await session.execute(
                pg_insert(_CONTACTS)
                .on_conflict_do_nothing(
                    index_elements=["organization_id", "email_index"],
                    index_where=text("email_index IS NOT NULL"),
                )
                .returning(_CONTACTS.c.contact_id),
                new,
            )
        ).scalars()
        stored = set(inserted)
        await _add_terms(
            session,
            scope.organization_id,
            {row["contact_id"]: row for row in new if row["contact_id"] in stored},
        )
        created = [row["email_index"] for row in new]
        ids.update(
            (by_index[index], contact_id)
            for index, contact_id in (
                await session.execute(
                    select(Contact.email_index, Contact.contact_id).where(
                        Contact.email_index
                        == any_(bindparam("created", created, type_=ARRAY(String)))
                    )
                )
            ).all()
            if index in by_index
        )
    if fill_in:
        await session.execute(_FILL_IN, fill_in)
        await _add_terms(session, scope.organization_id, filled_terms)
    return ids


async def _add_terms(
    session: AsyncSession,
    organization_id: uuid.UUID,
    records: Mapping[uuid.UUID, Mapping[str, Any]],
) -> None:
    """The search tokens of contacts written by Core statements (see `rastro.crm.sealed`)."""
    rows = [
        {"record_id": record_id, "term": token, "organization_id": organization_id}
        for record_id, values in records.items()
        for token in terms(dict(values))
    ]
    if rows:
        await session.execute(
            pg_insert(cast(Table, SearchTerm.__table__)).on_conflict_do_nothing(), rows
        )


async def people_by_id(
    session: AsyncSession, *, contact_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Person]:
    """The organization's contacts among `contact_ids` that have an e-mail address."""
    wanted = list(contact_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Contact.contact_id, Contact.email, Contact.name).where(
            Contact.contact_id.in_(wanted), Contact.email.is_not(None)
        )
    )
    return {cid: Person(cid, email, name) for cid, email, name in rows.all() if email}


def ids_matching(text: str) -> Select[Any]:
    """A query of the contact ids that have every word of `text` (whole words of the
    e-mail, name, company or phone: they are stored encrypted, searched by blind tokens),
    for other modules to filter their own rows by a person search."""
    tokens = query_tokens(search_terms(text)) or [""]
    statement = select(SearchTerm.record_id).where(SearchTerm.term == tokens[0])
    for token in tokens[1:]:
        other = aliased(SearchTerm)
        statement = statement.where(
            exists().where(other.record_id == SearchTerm.record_id, other.term == token)
        )
    return statement


async def person_by_email(session: AsyncSession, *, email: str) -> Person | None:
    """The organization's contact with this (normalized) address, if any."""
    row = (
        await session.execute(
            select(Contact.contact_id, Contact.email, Contact.name).where(
                Contact.email_index == blind_index("email", email)
            )
        )
    ).first()
    return Person(row[0], row[1], row[2]) if row is not None and row[1] else None


# lead_id, contact_id, created_at, current_stage, stage_value
_LeadRow = Row[uuid.UUID, uuid.UUID, datetime, str, Decimal | None]


async def leads_since(
    session: AsyncSession, *, moments: Select[uuid.UUID, datetime | None]
) -> list[LeadOutcome]:
    """The leads each contact created at or after one of its moments in `moments` (a
    query of `contact_id` and `at`, e.g. recipients' first clicks on a campaign, from
    another module's table), with the value of their won deals. The match runs in the
    database: a campaign's clickers can be hundreds of thousands, its leads a few."""
    found = moments.subquery("moments")
    leads = await session.execute(
        select(
            Lead.lead_id, Lead.contact_id, Lead.created_at, Lead.current_stage, Lead.stage_value
        ).where(
            exists().where(found.c.contact_id == Lead.contact_id, found.c.at <= Lead.created_at)
        )
    )
    return await _outcomes(session, leads.all())


async def lead_outcomes(
    session: AsyncSession, *, lead_ids: Collection[uuid.UUID]
) -> list[LeadOutcome]:
    """These leads (the organization's; unknown ids are left out), with the value of their
    won deals."""
    if not lead_ids:
        return []
    leads = (
        await session.execute(
            select(
                Lead.lead_id, Lead.contact_id, Lead.created_at, Lead.current_stage, Lead.stage_value
            ).where(Lead.lead_id == any_(bindparam("ids", list(lead_ids), type_=ARRAY(Uuid))))
        )
    ).all()
    return await _outcomes(session, leads)


async def _outcomes(session: AsyncSession, kept: Sequence[_LeadRow]) -> list[LeadOutcome]:
    if not kept:
        return []
    won: dict[uuid.UUID, tuple[Decimal, str]] = {}
    deals = await session.execute(
        select(Deal.lead_id, Deal.value, Deal.currency).where(
            Deal.lead_id == any_(bindparam("leads", [row[0] for row in kept], type_=ARRAY(Uuid))),
            Deal.stage == "won",
        )
    )
    for lead_id, value, currency in deals.all():
        if lead_id is None:
            continue
        total, _ = won.get(lead_id, (Decimal(0), currency))
        won[lead_id] = (total + (value or Decimal(0)), currency)
    outcomes = []
    for lead_id, contact_id, created_at, stage, stage_value in kept:
        value, currency = won.get(lead_id, (Decimal(0), ""))
        if lead_id not in won and stage == "won":
            value = stage_value or Decimal(0)
        outcomes.append(
            LeadOutcome(lead_id, contact_id, created_at, stage, value, currency or None)
        )
    return outcomes
