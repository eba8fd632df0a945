"""Drill-down from a report's figure to what it counts: the same filters as the
recount in `aggregates.refresh_daily` (so a list's total equals the figure), read from
the events in BI, or the leads `attribution` credits to the campaign."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from sqlalchemy import Date, Select, cast, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from rastro.core.errors import UnprocessableEntity
from rastro.crm.service import people
from rastro.email.drill_schemas import DrillFilters, DrillRow
from rastro.email.event_models import MessageEvent
from rastro.email.models import Campaign, Link
from rastro.email.service import attribution

EXPORT_LIMIT = 50_000

# figure → (event type, extra condition, first per message only)
_EVENT_FIGURES: dict[str, tuple[str, ColumnElement[bool] | None, bool]] = {
    "sent": ("sent", None, False),
    "delivered": ("delivered", None, False),
    "opens": ("open", None, False),
    "human_opens": ("open", MessageEvent.is_machine.is_(False), False),
    "unique_opens": ("open", None, True),
    "clicks": ("click", None, False),
    "unique_clicks": ("click", None, True),
    "hard_bounces": ("bounce", MessageEvent.subtype == "hard", False),
    "soft_bounces": ("bounce", MessageEvent.subtype.is_distinct_from("hard"), False),
    "complaints": ("complaint", None, False),
    "unsubscribes": ("unsubscribe", None, False),
    "refused": ("refused", None, False),
}


def _events(campaign_id: uuid.UUID, filters: DrillFilters) -> Select[Any]:
    event_type, condition, first_only = _EVENT_FIGURES[filters.figure]
    wanted = [MessageEvent.campaign_id == campaign_id, MessageEvent.type == event_type]
    if first_only:
        # A message's first open (click), as `row_number() … nth = 1` in the recount.
        firsts = (
            select(MessageEvent.event_id)
            .where(*wanted)
            .ext(distinct_on(MessageEvent.message_id))
            .order_by(MessageEvent.message_id, MessageEvent.occurred_at, MessageEvent.event_id)
        )
        wanted = [MessageEvent.event_id.in_(firsts)]
    if condition is not None:
        wanted.append(condition)
    if filters.day is not None:
        day = cast(func.timezone("UTC", MessageEvent.occurred_at), Date)
        wanted.append(day == filters.day)
    if filters.link_id is not None:
        wanted.append(MessageEvent.link_id == filters.link_id)
    return (
        select(MessageEvent)
        .where(*wanted)
        .order_by(MessageEvent.occurred_at.desc(), MessageEvent.event_id.desc())
    )


async def _event_rows(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    campaign: Campaign,
    filters: DrillFilters,
    offset: int,
    limit: int,
) -> tuple[list[DrillRow], int]:
    statement = _events(campaign.campaign_id, filters)
    total = await bi.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    events = list(await bi.scalars(statement.offset(offset).limit(limit)))
    found = await people.people_by_id(crm, contact_ids={e.contact_id for e in events})
    link_ids = {e.link_id for e in events if e.link_id is not None}
    urls = (
        dict(
            (
                await crm.execute(select(Link.link_id, Link.url).where(Link.link_id.in_(link_ids)))
            ).all()
        )
        if link_ids
        else {}
    )
    rows = []
    for event in events:
        person = found.get(event.contact_id)
        rows.append(
            DrillRow(
                occurred_at=event.occurred_at,
                contact_id=event.contact_id,
                email=person.email if person else "",
                message_id=event.message_id,
                event_id=event.event_id,
                type=event.type,
                subtype=event.subtype,
                is_machine=event.is_machine,
                source=event.source,
                link_id=event.link_id,
                url=urls.get(event.link_id) if event.link_id is not None else None,
            )
        )
    return rows, int(total or 0)


async def _lead_rows(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    campaign: Campaign,
    filters: DrillFilters,
    offset: int,
    limit: int,
) -> tuple[list[DrillRow], int]:
    outcomes = await attribution.attributed_leads(crm, bi, campaign_id=campaign.campaign_id)
    if filters.figure == "won_leads":
        outcomes = [o for o in outcomes if o.stage == "won"]
    if filters.day is not None:
        outcomes = [o for o in outcomes if o.created_at.astimezone(UTC).date() == filters.day]
    outcomes.sort(key=lambda o: (o.created_at, o.lead_id), reverse=True)
    page = outcomes[offset : offset + limit]
    found = await people.people_by_id(crm, contact_ids={o.contact_id for o in page})
    rows = [
        DrillRow(
            occurred_at=o.created_at,
            contact_id=o.contact_id,
            email=found[o.contact_id].email if o.contact_id in found else "",
            lead_id=o.lead_id,
            stage=o.stage,
            value=o.won_value if o.stage == "won" else None,
            currency=o.currency if o.stage == "won" else None,
        )
        for o in page
    ]
    return rows, len(outcomes)


async def figure_rows(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    campaign: Campaign,
    filters: DrillFilters,
    offset: int,
    limit: int,
) -> tuple[list[DrillRow], int]:
    """One page of the rows behind `filters.figure`, newest first, and how many there are
    (the figure itself when no day or link narrows it)."""
    if filters.link_id is not None and filters.figure not in ("clicks", "unique_clicks"):
        raise UnprocessableEntity(
            details=[{"loc": "query.link_id", "message": "only for clicks", "type": "value_error"}]
        )
    if filters.figure in ("leads", "won_leads"):
        return await _lead_rows(
            crm, bi, campaign=campaign, filters=filters, offset=offset, limit=limit
        )
    return await _event_rows(
        crm, bi, campaign=campaign, filters=filters, offset=offset, limit=limit
    )


EXPORT_HEADER = (
    "occurred_at",
    "contact_id",
    "email",
    "message_id",
    "event_id",
    "type",
    "subtype",
    "is_machine",
    "source",
    "link_id",
    "url",
    "lead_id",
    "stage",
    "value",
    "currency",
)


def export_cells(row: DrillRow) -> tuple[Any, ...]:
    """A row as the CSV's cells, in `EXPORT_HEADER` order."""
    return tuple(
        str(value) if isinstance(value, uuid.UUID) else value
        for value in (getattr(row, name) for name in EXPORT_HEADER)
    )
