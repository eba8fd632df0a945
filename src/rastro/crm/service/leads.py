"""Reading and editing leads: the filtered list, one lead with everything around it, the
pipeline board, manual edits. Every read runs a fixed number of queries (no N+1)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rastro.core.errors import NotFound, UnprocessableEntity
from rastro.core.pagination import PageParams
from rastro.crm.models import (
    STAGES,
    Activity,
    Contact,
    Deal,
    Lead,
    LeadStage,
    Note,
    SearchTerm,
    Task,
)
from rastro.crm.schemas import IntegrationLogEntry
from rastro.crm.sealed import query_tokens
from rastro.crm.service import activities, hooks

_Statement = TypeVar("_Statement", bound=Select[*tuple[Any, ...]])

DETAIL_ACTIVITIES = 100
DETAIL_INTEGRATIONS = 50


@dataclass(frozen=True)
class LeadFilters:
    """The filters shared by the lead list and the pipeline board."""

    stages: Sequence[str] = ()
    scores: Sequence[str] = ()
    owner_id: uuid.UUID | None = None
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    channel: str | None = None
    domain_id: uuid.UUID | None = None
    attribution_status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    contact_id: uuid.UUID | None = None


_PHONE_LIKE = re.compile(r"^[\d\s()+\-.]+$")
_WORD = re.compile(r"[^\W_]+")
MAX_SEARCH_WORDS = 5
SEARCH_COUNT_CAP = 2000


def search_terms(q: str) -> list[str]:
    """The words of a search box entry, split like the stored words (see `SearchTerm`).

    A phone-looking entry becomes its digits.
    """
    text = q.strip().lower()
    if _PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 3:
        return ["".join(c for c in text if c.isdigit())]
    words = sorted(set(_WORD.findall(text)), key=len, reverse=True)
    return [word[:100] for word in words[:MAX_SEARCH_WORDS]]


async def _rarest_first(session: AsyncSession, tokens: list[str]) -> list[str]:
    """The words' tokens ordered by how many records have them (counted up to a cap, one
    short index scan each)."""
    counts = []
    for token in tokens:
        capped = select(SearchTerm.record_id).where(SearchTerm.term == token)
        count = await session.scalar(
            select(func.count()).select_from(capped.limit(SEARCH_COUNT_CAP).subquery())
        )
        counts.append((int(count or 0), token))
    return [token for _, token in sorted(counts)]


async def search_condition(session: AsyncSession, key: Any, q: str) -> ColumnElement[bool]:
    """`key` (a lead or contact id) has each word of `q`, whole (names, e-mails and
    companies are encrypted: the stored words are blind tokens, see `rastro.crm.sealed`,
    so a word matches exactly, not by its beginning).

    The rarest word drives (one scan of the words index); every other word is then
    checked per candidate through the (record_id, term) primary key, so common words such
    as a company name shared by every lead cost nothing extra.
    """
    words = search_terms(q)
    if not words:
        raise UnprocessableEntity(
            "The search needs at least one letter or digit.", details={"field": "q"}
        )
    tokens = query_tokens(words)
    if len(tokens) > 1:
        tokens = await _rarest_first(session, tokens)
    driver = select(SearchTerm.record_id).where(SearchTerm.term == tokens[0])
    for token in tokens[1:]:
        other = aliased(SearchTerm)
        driver = driver.where(
            exists().where(other.record_id == SearchTerm.record_id, other.term == token)
        )
    condition: ColumnElement[bool] = key.in_(driver)
    return condition


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _filtered(
    statement: _Statement, filters: LeadFilters, search: ColumnElement[bool] | None = None
) -> _Statement:
    conditions: list[ColumnElement[bool]] = []
    if filters.stages:
        conditions.append(Lead.current_stage.in_(list(filters.stages)))
    if filters.scores:
        conditions.append(Lead.lead_score.in_(list(filters.scores)))
    if filters.owner_id is not None:
        conditions.append(Lead.owner_id == filters.owner_id)
    for column, value in (
        (Lead.source, filters.source),
        (Lead.medium, filters.medium),
        (Lead.campaign, filters.campaign),
        (Lead.channel, filters.channel),
        (Lead.attribution_status, filters.attribution_status),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.domain_id is not None:
        conditions.append(Lead.domain_id == filters.domain_id)
    if filters.contact_id is not None:
        conditions.append(Lead.contact_id == filters.contact_id)
    if filters.created_from is not None:
        conditions.append(Lead.created_at >= _utc(filters.created_from))
    if filters.created_to is not None:
        conditions.append(Lead.created_at < _utc(filters.created_to))
    if search is not None:
        conditions.append(search)
    return statement.where(*conditions) if conditions else statement


_ORDER = {
    "-created_at": (Lead.created_at.desc(), Lead.lead_id.desc()),
    "created_at": (Lead.created_at.asc(), Lead.lead_id.asc()),
    "score": (Lead.lead_score.asc(), Lead.created_at.desc(), Lead.lead_id.desc()),
    "-score": (Lead.lead_score.desc(), Lead.created_at.desc(), Lead.lead_id.desc()),
    "-stage_changed_at": (Lead.stage_changed_at.desc(), Lead.lead_id.desc()),
}


async def list_leads(
    session: AsyncSession, params: PageParams, *, filters: LeadFilters, sort: str = "-created_at"
) -> tuple[list[Lead], int]:
    """One page of the organization's leads and the filtered total (two queries)."""
    search = await search_condition(session, Lead.lead_id, filters.q) if filters.q else None
    total = await session.scalar(_filtered(select(func.count(Lead.lead_id)), filters, search))
    # The page's ids first (an index-only scan for the sorts, however deep the page), then
    # those rows: skipping 50,000 ids is cheap, skipping 50,000 whole rows is not.
    page_ids = (
        _filtered(select(Lead.lead_id), filters, search)
        .order_by(*_ORDER[sort])
        .limit(params.page_size)
        .offset(params.offset)
    )
    rows = await session.scalars(
        select(Lead).where(Lead.lead_id.in_(page_ids.scalar_subquery())).order_by(*_ORDER[sort])
    )
    return list(rows), int(total or 0)


@dataclass(frozen=True)
class LeadTotals:
    count: int
    value: Decimal  # the sum of the leads' latest stage values
    with_value: int  # how many leads have a value


async def lead_totals(session: AsyncSession, *, filters: LeadFilters) -> LeadTotals:
    """How many leads the filters select, and their values' sum (one query)."""
    search = await search_condition(session, Lead.lead_id, filters.q) if filters.q else None
    row = (
        await session.execute(
            _filtered(
                select(
                    func.count(Lead.lead_id),
                    func.coalesce(func.sum(Lead.stage_value), 0),
                    func.count(Lead.stage_value),
                ),
                filters,
                search,
            )
        )
    ).one()
    return LeadTotals(count=int(row[0]), value=Decimal(row[1] or 0), with_value=int(row[2]))


async def lead_names(
    session: AsyncSession, lead_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    """Each lead's name, else its e-mail (one query); unknown ids left out."""
    if not lead_ids:
        return {}
    rows = await session.execute(
        select(Lead.lead_id, Lead.name, Lead.email).where(Lead.lead_id.in_(set(lead_ids)))
    )
    return {row[0]: row[1] if row[1] is not None else row[2] for row in rows}


EXPORT_LIMIT = 50_000


async def export_leads(
    session: AsyncSession, *, filters: LeadFilters, sort: str = "-created_at"
) -> list[Lead]:
    """Every lead the filters select, in the list's order, up to `EXPORT_LIMIT`."""
    search = await search_condition(session, Lead.lead_id, filters.q) if filters.q else None
    rows = await session.scalars(
        _filtered(select(Lead), filters, search).order_by(*_ORDER[sort]).limit(EXPORT_LIMIT)
    )
    return list(rows)


async def get_lead(session: AsyncSession, lead_id: uuid.UUID) -> Lead:
    lead = await session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("Lead not found.")
    return lead


@dataclass
class LeadRecord:
    lead: Lead
    contact: Contact
    stages: list[LeadStage] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # The integrations module's push attempts (`hooks.provide_push_history`).
    integrations: list[IntegrationLogEntry] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)


async def lead_record(session: AsyncSession, lead_id: uuid.UUID) -> LeadRecord:
    """A lead with its contact, stage history, deals, tasks, notes, pushes and timeline
    (seven queries whatever their sizes)."""
    row = (
        await session.execute(
            select(Lead, Contact)
            .join(Contact, Contact.contact_id == Lead.contact_id)
            .where(Lead.lead_id == lead_id)
        )
    ).first()
    if row is None:
        raise NotFound("Lead not found.")
    lead, contact = row
    record = LeadRecord(lead=lead, contact=contact)
    record.stages = list(
        await session.scalars(
            select(LeadStage)
            .where(LeadStage.lead_id == lead_id)
            .order_by(LeadStage.created_at, LeadStage.stage_id)
        )
    )
    record.deals = list(
        await session.scalars(
            select(Deal).where(Deal.lead_id == lead_id).order_by(Deal.created_at.desc())
        )
    )
    record.tasks = list(
        await session.scalars(
            select(Task)
            .where(Task.lead_id == lead_id)
            .order_by(Task.done, Task.due_at.asc().nulls_last(), Task.created_at)
        )
    )
    record.notes = list(
        await session.scalars(
            select(Note).where(Note.lead_id == lead_id).order_by(Note.created_at.desc())
        )
    )
    record.integrations = await hooks.push_history(session, lead_id, DETAIL_INTEGRATIONS)
    record.activities = list(
        await session.scalars(
            select(Activity)
            .where(Activity.lead_id == lead_id)
            .order_by(Activity.created_at.desc(), Activity.activity_id.desc())
            .limit(DETAIL_ACTIVITIES)
        )
    )
    return record


async def list_stages(session: AsyncSession, lead_id: uuid.UUID) -> list[LeadStage]:
    """A lead's stage history, oldest first."""
    await get_lead(session, lead_id)
    return list(
        await session.scalars(
            select(LeadStage)
            .where(LeadStage.lead_id == lead_id)
            .order_by(LeadStage.created_at, LeadStage.stage_id)
        )
    )


_EDITABLE = ("owner_id", "external_id", "name", "company", "message", "lead_score")


async def update_lead(
    session: AsyncSession, lead_id: uuid.UUID, changes: dict[str, Any], *, actor: str
) -> Lead:
    """Change a lead's owner, external id, name, company, message or score override."""
    lead = await get_lead(session, lead_id)
    changed: dict[str, Any] = {}
    for name in _EDITABLE:
        if name in changes and getattr(lead, name) != changes[name]:
            if name == "lead_score" and changes[name] is None:
                raise UnprocessableEntity(
                    "A lead always has a score.", details={"field": "lead_score"}
                )
            changed[name] = {"from": _plain(getattr(lead, name)), "to": _plain(changes[name])}
            setattr(lead, name, changes[name])
    if changed:
        activities.record(
            session,
            "lead_updated",
            "Lead changed: " + ", ".join(sorted(changed)),
            lead_id=lead.lead_id,
            contact_id=lead.contact_id,
            actor=actor,
            data={"changes": changed},
        )
        await session.flush()
    return lead


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID | Decimal | datetime) else value


# --- the pipeline board ----------------------------------------------------------------------


@dataclass
class PipelineColumn:
    stage: str
    count: int
    value: Decimal
    cards: list[Lead]


async def pipeline(
    session: AsyncSession, *, filters: LeadFilters, cards_per_stage: int
) -> list[PipelineColumn]:
    """Per stage: how many leads, the sum of their latest values, the most recently moved
    cards (two queries: one aggregate, one union of per-stage index scans)."""
    search = await search_condition(session, Lead.lead_id, filters.q) if filters.q else None
    totals = {
        row[0]: (int(row[1]), row[2] or Decimal(0))
        for row in await session.execute(
            _filtered(
                select(
                    Lead.current_stage,
                    func.count(Lead.lead_id).label("count"),
                    func.sum(Lead.stage_value).label("value"),
                ),
                filters,
                search,
            ).group_by(Lead.current_stage)
        )
    }
    cards: dict[str, list[Lead]] = {stage: [] for stage in STAGES}
    wanted = [stage for stage in STAGES if stage in totals]
    if wanted and cards_per_stage > 0:
        per_stage = [
            _filtered(select(Lead.lead_id, Lead.stage_changed_at), filters, search)
            .where(Lead.current_stage == stage)
            .order_by(Lead.stage_changed_at.desc(), Lead.lead_id.desc())
            .limit(cards_per_stage)
            for stage in wanted
        ]
        ids = union_all(*[s.subquery().select() for s in per_stage]).subquery()
        leads = await session.scalars(
            select(Lead)
            .where(Lead.lead_id.in_(select(ids.c.lead_id)))
            .order_by(Lead.stage_changed_at.desc(), Lead.lead_id.desc())
        )
        for lead in leads:
            cards[lead.current_stage].append(lead)
    return [
        PipelineColumn(
            stage=stage,
            count=totals.get(stage, (0, Decimal(0)))[0],
            value=totals.get(stage, (0, Decimal(0)))[1],
            cards=cards[stage],
        )
        for stage in STAGES
    ]
