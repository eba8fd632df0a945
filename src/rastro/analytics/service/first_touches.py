"""Each lead's first touch: the earliest touch of its visitors (`conversion_facts.visitor_ids`)
up to the lead's creation, however old (the cohorts report's cohort and dimensions).

Searching every lead's touches took the cohorts report about a minute over 12 months of the
benchmark's data (100,000 leads against 1 M touches, on each request), so the rollup
refresh keeps the answer per lead in `lead_first_touches`, with the `updated_at` of the
fact it was computed from. A reader takes a stored row only while that still equals the
fact's `updated_at` (the lead's visitors or creation have not changed since) and computes
the others from the raw touches, so the answer is always the raw one. A refresh rewrites
the leads without a current row and those created since `LATE_SESSIONS` before its
previous run (a touch of theirs may still have been on its way).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, delete, exists, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Subquery

from rastro.analytics.models import ConversionFact, LeadFirstTouch
from rastro.tracking.service import facts as tracking_facts

DIMENSIONS = ("channel", "source", "medium", "campaign", "content")


def _current() -> ColumnElement[bool]:
    """A stored row computed from the fact as it is now."""
    s, f = LeadFirstTouch, ConversionFact
    return and_(s.lead_id == f.lead_id, s.fact_updated_at == f.updated_at)


def _raw(*conditions: ColumnElement[bool]) -> Subquery:
    """Per fact matching `conditions` that has a touch, its first touch from the raw touches.
    Columns: lead_id, touched_at, the DIMENSIONS."""
    f = ConversionFact
    person = (
        select(f.lead_id, f.created_at, func.unnest(f.visitor_ids).label("visitor_id"))
        .where(*conditions)
        .subquery("person")
    )
    # Joined on the visitor only: an `IN (person)` filter besides made PostgreSQL plan a
    # semi-join that scans the person list once per touch when it expects few people.
    touches = tracking_facts.visitor_touches().subquery("touches")
    return (
        select(
            person.c.lead_id,
            touches.c.created_at.label("touched_at"),
            *(touches.c[d] for d in DIMENSIONS),
        )
        .ext(distinct_on(person.c.lead_id))
        .join_from(
            person,
            touches,
            and_(
                touches.c.visitor_id == person.c.visitor_id,
                touches.c.created_at <= person.c.created_at,
            ),
        )
        .order_by(person.c.lead_id, touches.c.created_at)
        .subquery("raw_first_touch")
    )


def with_first_touch(since: datetime, *columns: Any) -> Select[Any]:
    """The facts created since `since` with their first touch, in one pass over them:
    `columns` (of `conversion_facts`), `touched_at` (NULL: no touch) and the DIMENSIONS,
    the first touch's (the fact's own without one). The stored row when it is current;
    the raw touches only for the facts without one (a lateral subquery that a current row
    skips)."""
    s, f = LeadFirstTouch, ConversionFact
    ids = func.unnest(f.visitor_ids).table_valued("visitor_id").render_derived("lead_visitor")
    touches = tracking_facts.visitor_touches().subquery("touches")
    raw = (
        select(touches.c.created_at.label("touched_at"), *(touches.c[d] for d in DIMENSIONS))
        .select_from(
            ids.join(
                touches,
                and_(
                    touches.c.visitor_id == ids.c.visitor_id,
                    touches.c.created_at <= f.created_at,
                ),
            )
        )
        .where(s.lead_id.is_(None))
        .order_by(touches.c.created_at)
        .limit(1)
        .lateral("raw_first_touch")
    )
    stored = s.touched_at.is_not(None)
    found = raw.c.touched_at.is_not(None)
    return (
        select(
            *columns,
            func.coalesce(s.touched_at, raw.c.touched_at).label("touched_at"),
            *(
                case((stored, getattr(s, d)), (found, raw.c[d]), else_=getattr(f, d)).label(d)
                for d in DIMENSIONS
            ),
        )
        .select_from(f)
        .outerjoin(s, _current())
        .outerjoin(raw, true())
        .where(f.created_at >= since)
    )


async def refresh_first_touches(
    bi: AsyncSession, organization_id: uuid.UUID, *, since: datetime | None
) -> None:
    """Store the first touch of every lead (when `since` is None) or of those without a
    current row or created since `since`; drop the rows of leads that are gone."""
    s, f = LeadFirstTouch, ConversionFact
    if since is None:
        await bi.execute(delete(s))
        wanted: list[ColumnElement[bool]] = []
    else:
        await bi.execute(delete(s).where(~exists().where(f.lead_id == s.lead_id)))
        wanted = [or_(f.created_at >= since, ~exists().where(_current()))]
    first = _raw(*wanted)
    rows = (
        select(
            literal(organization_id),
            f.lead_id,
            f.updated_at,
            first.c.touched_at,
            *(first.c[d] for d in DIMENSIONS),
        )
        .outerjoin(first, first.c.lead_id == f.lead_id)
        .where(*wanted)
    )
    columns = ["organization_id", "lead_id", "fact_updated_at", "touched_at", *DIMENSIONS]
    statement = insert(s).from_select(columns, rows)
    update: dict[str, Any] = {c: statement.excluded[c] for c in columns[2:]}
    await bi.execute(statement.on_conflict_do_update(index_elements=[s.lead_id], set_=update))
