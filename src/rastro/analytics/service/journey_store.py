"""Each lead's touches kept by the rollup refresh (`lead_journeys`), so that the
attribution and journeys reports read one small row per conversion instead of joining
every conversion's visitors to tracking's touches on each request.

A row holds the touches of the lead's visitors (`conversion_facts.visitor_ids`) from
`MAX_LOOKBACK` before its earliest conversion moment (creation, qualification, win) to
its latest, in the order the reports use (time, then session), with the `updated_at` of
the fact it was computed from. A reader takes it only while that still equals the fact's
`updated_at` (the lead's visitors and moments are what they were) and reads the other
conversions' touches from the raw tables, so the answer is always the raw one. A refresh
rewrites the leads without a current row and those whose latest moment is since
`LATE_SESSIONS` before its previous run (a touch of theirs may still have been on its way).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause, Subquery
from sqlalchemy.sql.sqltypes import NullType

from rastro.analytics.attribution import Touch
from rastro.analytics.models import ConversionFact, LeadJourney
from rastro.tracking.service import facts as tracking_facts

# The longest lookback a report accepts (`schemas.LookbackDays`).
MAX_LOOKBACK = timedelta(days=365)
COLUMNS = ("channel", "source", "medium", "campaign", "content", "term", "utm_id", "click_id")


def _current(conversions: FromClause) -> ColumnElement[bool]:
    """A stored row computed from the conversion's fact as it is now (`conversions` has the
    fact's lead_id and updated_at)."""
    j = LeadJourney
    return and_(j.lead_id == conversions.c.lead_id, j.fact_updated_at == conversions.c.updated_at)


def missing(conversions: FromClause) -> Select[Any]:
    """The conversions without a current stored row (read from the raw touches)."""
    return select(conversions).where(~exists().where(_current(conversions)))


async def stored_touches(
    bi: AsyncSession, conversions: FromClause, *, lookback: timedelta
) -> dict[uuid.UUID, list[Touch]]:
    """Per conversion with a current stored row and a touch within `lookback` before (and
    at) its moment, those touches in time order."""
    j = LeadJourney
    # The arrays as the driver decodes them: SQLAlchemy's ARRAY result processing walks
    # every element again (a third of the time of this read in a profile of 30 days).
    rows = await bi.execute(
        select(
            conversions.c.lead_id,
            conversions.c.converted_at,
            *(type_coerce(getattr(j, c), NullType()).label(c) for c in ("touched_at", *COLUMNS)),
        ).join(j, _current(conversions))
    )
    journeys: dict[uuid.UUID, list[Touch]] = {}
    for row in rows:
        if not row.touched_at:
            continue
        high = row.converted_at
        low = high - lookback
        touches = [
            Touch(
                at=at,
                channel=row.channel[i],
                source=row.source[i],
                medium=row.medium[i],
                campaign=row.campaign[i],
                content=row.content[i],
                term=row.term[i],
                utm_id=row.utm_id[i],
                click_id=row.click_id[i],
            )
            for i, at in enumerate(row.touched_at)
            if low <= at <= high
        ]
        if touches:
            journeys[row.lead_id] = touches
    return journeys


def _journeys(*conditions: ColumnElement[bool]) -> Subquery:
    """Per fact matching `conditions` with a touch in its stored range, the touches as
    ordered arrays. Columns: lead_id, touched_at, COLUMNS."""
    f = ConversionFact
    moments = (f.created_at, f.qualified_at, f.won_at)
    person = (
        select(
            f.lead_id,
            (func.least(*moments) - MAX_LOOKBACK).label("low"),
            func.greatest(*moments).label("high"),
            func.unnest(f.visitor_ids).label("visitor_id"),
        )
        .where(*conditions)
        .distinct()
        .subquery("person")
    )
    # Joined on the visitor only: an `IN (person)` filter besides made PostgreSQL plan a
    # semi-join that scans the person list once per touch when it expects few people.
    touches = tracking_facts.visitor_touches().subquery("touches")
    order = (touches.c.created_at, touches.c.session_id)

    def ordered(column: Any) -> Any:
        return func.array_agg(aggregate_order_by(column, *order))

    return (
        select(
            person.c.lead_id,
            ordered(touches.c.created_at).label("touched_at"),
            *(ordered(touches.c[c]).label(c) for c in COLUMNS),
        )
        .join_from(
            person,
            touches,
            and_(
                touches.c.visitor_id == person.c.visitor_id,
                touches.c.created_at >= person.c.low,
                touches.c.created_at <= person.c.high,
            ),
        )
        .group_by(person.c.lead_id)
        .subquery("journeys")
    )


async def refresh_lead_journeys(
    bi: AsyncSession, organization_id: uuid.UUID, *, since: datetime | None
) -> None:
    """Store the touches of every lead (when `since` is None) or of those without a current
    row or whose latest moment is since `since`; drop the rows of leads that are gone."""
    j, f = LeadJourney, ConversionFact
    if since is None:
        await bi.execute(delete(j))
        wanted: list[ColumnElement[bool]] = []
    else:
        await bi.execute(delete(j).where(~exists().where(f.lead_id == j.lead_id)))
        current = and_(j.lead_id == f.lead_id, j.fact_updated_at == f.updated_at)
        latest = func.greatest(f.created_at, f.qualified_at, f.won_at)
        wanted = [or_(latest >= since, ~exists().where(current))]
    stored = _journeys(*wanted)
    rows = (
        select(
            literal(organization_id),
            f.lead_id,
            f.updated_at,
            stored.c.touched_at,
            *(stored.c[c] for c in COLUMNS),
        )
        .outerjoin(stored, stored.c.lead_id == f.lead_id)
        .where(*wanted)
    )
    columns = ["organization_id", "lead_id", "fact_updated_at", "touched_at", *COLUMNS]
    statement = insert(j).from_select(columns, rows)
    update: dict[str, Any] = {c: statement.excluded[c] for c in columns[2:]}
    await bi.execute(statement.on_conflict_do_update(index_elements=[j.lead_id], set_=update))
