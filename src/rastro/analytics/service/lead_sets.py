"""The visitor numbers of a period's leads (new vs returning: which visitors converted),
kept per local day of the leads' creation by the refresh (`lead_visitor_sets`).

Looking them up on each request meant unnesting every lead's visitor ids in the period and
joining them with all of `visitor_numbers` (about 1.3 s at load 15 over 12 months of the
benchmark's data: 96,000 ids against 575,000 numbers). The refresh writes, for each day of
its window, the numbers of the visitors of the leads created that day, after numbering the
window's visitors; a visitor without a number then (no session yet) is kept as its key and
looked up again by the reader. The reader adds the leads the stored days may not hold as
they are now: those created after the rollups' `through`, and those written since
(`updated_at`, less `LATE_OUTCOMES`: a lead's visitors can grow when its contact is
stitched). The answer is a set of numbers (repeats are harmless): it never undercounts a
lead's visitor; a lead deleted since the last refresh still counts until the next one, as
in the other rollups.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
from sqlalchemy import Select, delete, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics.models import ConversionFact, LeadVisitorSet, VisitorNumber
from rastro.analytics.service.rollup_shapes import LATE_OUTCOMES, Window, local_day
from rastro.analytics.service.visitor_sets import EMPTY, NUMBER


def _lead_keys(*conditions: Any, timezone: str | None = None) -> Select[Any]:
    """The visitor keys of the leads matching `conditions` (and their local day)."""
    f = ConversionFact
    columns = [func.hashtextextended(func.unnest(f.visitor_ids), 0).label("visitor_key")]
    if timezone is not None:
        columns.insert(0, local_day(f.created_at, timezone).label("day"))
    return select(*columns).where(*conditions)


async def write_lead_sets(bi: AsyncSession, organization_id: uuid.UUID, window: Window) -> None:
    """Replace the window's days of `lead_visitor_sets` (its visitors numbered first)."""
    s, n = LeadVisitorSet, VisitorNumber
    await bi.execute(delete(s).where(window.rows(s.day)))
    keys = _lead_keys(
        *window.moments(ConversionFact.created_at), timezone=window.timezone
    ).subquery("lead_keys")
    missing = n.number.is_(None)
    rows = (
        select(
            literal(organization_id),
            keys.c.day,
            func.coalesce(func.string_agg(func.int4send(n.number), EMPTY), EMPTY),
            func.coalesce(
                func.array_agg(keys.c.visitor_key.distinct()).filter(missing),
                literal([], type_=s.unnumbered_keys.type),
            ),
        )
        .outerjoin(n, n.visitor_key == keys.c.visitor_key)
        .group_by(keys.c.day)
    )
    columns = ["organization_id", "day", "numbers", "unnumbered_keys"]
    await bi.execute(insert(s).from_select(columns, rows))


async def lead_numbers(bi: AsyncSession, scope: Any, unnumbered: dict[int, int]) -> np.ndarray:
    """The visitor numbers of the leads created in the scope's period (an overview
    `Scope` whose rollups are there); a visitor the refresh has not numbered by the number
    `visitor_sets.session_sets` gave it (`unnumbered`: visitor_key → number), one without
    any session left out (no session of the period is theirs)."""
    s, f, n = LeadVisitorSet, ConversionFact, VisitorNumber
    period = scope.period
    stored = await bi.execute(
        select(s.numbers, s.unnumbered_keys).where(
            s.day >= period.date_from, s.day <= period.date_to
        )
    )
    parts: list[np.ndarray] = []
    keys: set[int] = set()
    for numbers, pending in stored:
        parts.append(np.frombuffer(numbers, dtype=NUMBER).astype(np.int64))
        keys.update(pending)
    # Leads the stored days may not hold as they are now.
    fresh = _lead_keys(
        f.created_at >= period.start,
        f.created_at < period.end,
        or_(f.created_at >= scope.through, f.updated_at >= scope.through - LATE_OUTCOMES),
    ).subquery("fresh_keys")
    for visitor_key, number in await bi.execute(
        select(fresh.c.visitor_key, n.number).outerjoin(n, n.visitor_key == fresh.c.visitor_key)
    ):
        if number is None:
            keys.add(visitor_key)
        else:
            parts.append(np.array([number], dtype=np.int64))
    if keys:  # numbered since, or by the reader (the newest sessions), or never
        found = dict(
            (await bi.execute(select(n.visitor_key, n.number).where(n.visitor_key.in_(keys)))).all()
        )
        numbered = [found.get(k, unnumbered.get(k)) for k in keys]
        parts.append(np.array([x for x in numbered if x is not None], dtype=np.int64))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
