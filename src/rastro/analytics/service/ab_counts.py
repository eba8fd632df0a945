"""The A/B report's counts per variant and per day, worked out in memory from two packed
reads (the rules are `abtests`'s docstring; `abtests.sql_counts_and_series` is the same in SQL).

The per-visitor work (each visitor's first session on the test's pages in the period,
each lead's first entered visitor, per-visitor sums) is what made the SQL statement slow:
over 12 months of the benchmark's data, 277,712 sessions and 224,873 visitors sorted and
hashed several times (1.4 to 1.6 CPU-seconds per request). Here PostgreSQL only reads:
- the sessions begun on the test's pages in the period (`session_facts` through its
  landing-page index, and the raw sessions after the rollups' `through`), each packed as
  visitor key, start and page (20 bytes, one `bytea` for all);
- the period's leads, one packed row per visitor id (in the contact's order), with the
  lead's creation, win and won revenue in cents of the organization's currency;
and numpy sorts, matches and sums them. Days are the organization's local days, from
the time zone's offsets over the moments read (`local_days`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import (
    BigInteger,
    Integer,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, literal_column

from rastro.analytics import schemas
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import rollups
from rastro.analytics.service.visitor_sets import EMPTY

# PostgreSQL's binary timestamps: microseconds since 2000-01-01 UTC.
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
NEVER = np.iinfo(np.int64).max  # a moment that did not happen (no lead, not won)
NEVER_BYTES: ColumnElement[bytes] = literal_column("'\\x7fffffffffffffff'::bytea")
DAY_US = 86_400_000_000
SPAN, HALF_SPAN = 1_000_000, 500_000  # (page, day) as one number: page · SPAN + day + HALF_SPAN
ENTRY = np.dtype([("key", ">i8"), ("at", ">i8"), ("page", ">i4")])
LEAD = np.dtype(
    [
        ("lead", ">i4"),
        ("position", ">i8"),
        ("key", ">i8"),
        ("created", ">i8"),
        ("won", ">i8"),
        ("cents", ">i8"),
    ]
)


@dataclass(frozen=True)
class Counts:
    visitors: int
    leads: int
    won: int
    revenue: Decimal
    revenue_squares: Decimal


def _concat(*parts: Any) -> Any:
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.op("||")(part)
    return joined


def _packed(row: Any) -> Any:
    return func.coalesce(func.string_agg(row, EMPTY), EMPTY)


def _reads(
    start: datetime,
    end: datetime,
    through: datetime | None,
    page_ids: list[uuid.UUID],
    currency: str,
) -> Any:
    """One statement, two `bytea` columns: `entries` (`ENTRY` rows) and `leads` (`LEAD`)."""
    visits = rollups.visitor_keys(start, end, through)
    pages = bindparam("ab_pages", page_ids, type_=ARRAY(Uuid()))
    entry = _concat(
        func.int8send(visits.c.visitor_key),
        func.timestamptz_send(visits.c.started_at),
        func.int4send(func.array_position(pages, visits.c.landing_page_id) - 1),
    )
    entries = select(_packed(entry)).where(visits.c.landing_page_id.in_(page_ids))
    f = ConversionFact
    cents = case(
        (
            and_(f.won_at.is_not(None), f.currency == currency),
            cast(func.coalesce(f.revenue, 0) * 100, BigInteger),
        ),
        else_=literal(0, BigInteger),
    )
    leads = (
        select(
            cast(func.row_number().over(), Integer).label("lead"),
            f.visitor_ids,
            f.created_at,
            f.won_at,
            cents.label("cents"),
        )
        .where(f.created_at >= start, f.created_at < end)
        .subquery("ab_leads")
    )
    visitor = (
        func.unnest(leads.c.visitor_ids)
        .table_valued("visitor_id", with_ordinality="position")
        .render_derived()
        .lateral("lead_visitors")
    )
    lead_row = _concat(
        func.int4send(leads.c.lead),
        func.int8send(visitor.c.position),
        func.int8send(func.hashtextextended(visitor.c.visitor_id, 0)),
        func.timestamptz_send(leads.c.created_at),
        func.coalesce(func.timestamptz_send(leads.c.won_at), NEVER_BYTES),
        func.int8send(leads.c.cents),
    )
    lead_rows = select(_packed(lead_row)).select_from(leads).join(visitor, true())
    return select(
        entries.scalar_subquery().label("entries"), lead_rows.scalar_subquery().label("leads")
    )


def local_days(moments: np.ndarray, timezone: str) -> np.ndarray:
    """The local day (days since 2000-01-01) of each moment (microseconds since
    2000-01-01 UTC): the time zone's offset at each moment, found from its offset at each
    UTC midnight around them and, where it changes, the second it changes."""
    if moments.size == 0:
        return np.zeros(0, dtype=np.int64)
    zone = ZoneInfo(timezone)

    def offset(us: int) -> int:
        moment = PG_EPOCH + timedelta(microseconds=us)
        shift = moment.astimezone(zone).utcoffset()
        return 0 if shift is None else shift // timedelta(microseconds=1)

    first = int(moments.min()) // DAY_US * DAY_US - DAY_US
    last = int(moments.max()) // DAY_US * DAY_US + DAY_US
    starts, offsets = [first], [offset(first)]
    for day in range(first + DAY_US, last + 1, DAY_US):
        now = offset(day)
        if now == offsets[-1]:
            continue
        # The offset changes in (day - 1 day, day]: found to the second.
        low, high = (day - DAY_US) // 1_000_000, day // 1_000_000
        while high - low > 1:
            middle = (low + high) // 2
            if offset(middle * 1_000_000) == offsets[-1]:
                low = middle
            else:
                high = middle
        starts.append(high * 1_000_000)
        offsets.append(now)
    found = np.searchsorted(np.array(starts, dtype=np.int64), moments, side="right") - 1
    local = moments + np.array(offsets, dtype=np.int64)[found]
    return np.floor_divide(local, DAY_US)


@dataclass(frozen=True)
class _Visitors:
    """The entered visitors (one element each) and the leads counted for them."""

    page: np.ndarray  # index in the test's pages
    entered: np.ndarray
    lead_at: np.ndarray  # first counted lead (NEVER: none)
    won_at: np.ndarray  # first won one (NEVER: none)
    cents: np.ndarray  # revenue won, cents
    lead_visitor: np.ndarray  # per counted lead: its visitor's element
    lead_won: np.ndarray
    lead_cents: np.ndarray


def _visitors(entries_bytes: bytes, leads_bytes: bytes) -> _Visitors:
    entries = np.frombuffer(entries_bytes, dtype=ENTRY)
    keys, moments = entries["key"].astype(np.int64), entries["at"].astype(np.int64)
    order = np.lexsort((moments, keys))
    keys, moments = keys[order], moments[order]
    first = np.ones(keys.size, dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    keys, entered = keys[first], moments[first]
    page = entries["page"].astype(np.int64)[order][first]
    leads = np.frombuffer(leads_bytes, dtype=LEAD)
    lead_keys = leads["key"].astype(np.int64)
    created = leads["created"].astype(np.int64)
    found = np.minimum(np.searchsorted(keys, lead_keys), max(keys.size - 1, 0))
    counted = np.zeros(lead_keys.size, dtype=bool)
    if keys.size:
        counted = (keys[found] == lead_keys) & (created >= entered[found])
    # Each lead counts for its first visitor (in the contact's order) who had entered.
    rows = np.flatnonzero(counted)
    rows = rows[
        np.lexsort((leads["position"][rows].astype(np.int64), leads["lead"][rows].astype(np.int64)))
    ]
    lead_ids = leads["lead"][rows]
    keep = np.ones(rows.size, dtype=bool)
    keep[1:] = lead_ids[1:] != lead_ids[:-1]
    rows = rows[keep]
    visitor = found[rows]
    won = leads["won"][rows].astype(np.int64)
    cents = leads["cents"][rows].astype(np.int64)
    lead_at = np.full(keys.size, NEVER, dtype=np.int64)
    won_at = np.full(keys.size, NEVER, dtype=np.int64)
    revenue = np.zeros(keys.size, dtype=np.int64)
    np.minimum.at(lead_at, visitor, created[rows])
    np.minimum.at(won_at, visitor, won)
    np.add.at(revenue, visitor, np.where(won != NEVER, cents, 0))
    return _Visitors(page, entered, lead_at, won_at, revenue, visitor, won, cents)


def _money(cents: int, places: int = 2) -> Decimal:
    return Decimal(cents).scaleb(-places)


def _counts(found: _Visitors, page_ids: list[uuid.UUID]) -> dict[uuid.UUID, Counts]:
    counts = {}
    for index, page_id in enumerate(page_ids):
        mine = found.page == index
        visitors = int(mine.sum())
        if not visitors:
            continue
        revenue = [int(c) for c in found.cents[mine & (found.cents != 0)]]
        counts[page_id] = Counts(
            visitors=visitors,
            leads=int((mine & (found.lead_at != NEVER)).sum()),
            won=int((mine & (found.won_at != NEVER)).sum()),
            revenue=_money(sum(revenue)),
            revenue_squares=_money(sum(c * c for c in revenue), 4),
        )
    return counts


def _series(
    found: _Visitors, page_ids: list[uuid.UUID], timezone: str
) -> list[schemas.AbSeriesPoint]:
    """Per variant and local day: visitors entering, visitors converting, visitors whose
    first deal was won, and revenue by each counted lead's won day."""
    lead_won = found.lead_won != NEVER
    sources = (
        (found.page, found.entered, "visitors", None),
        (found.page, found.lead_at, "leads", None),
        (found.page, found.won_at, "won", None),
        (found.page[found.lead_visitor][lead_won], found.lead_won[lead_won], "revenue",
         found.lead_cents[lead_won]),
    )  # fmt: skip
    points: dict[tuple[int, int], dict[str, int]] = {}
    for pages, moments, measure, cents in sources:
        happened = moments != NEVER
        days = local_days(moments[happened], timezone)
        pages = pages[happened]
        amounts = np.ones(days.size, dtype=np.int64) if cents is None else cents[happened]
        codes, inverse = np.unique(pages * SPAN + days + HALF_SPAN, return_inverse=True)
        sums = np.zeros(codes.size, dtype=np.int64)
        np.add.at(sums, inverse, amounts)
        for code, total in zip(codes.tolist(), sums.tolist(), strict=True):
            page, day = divmod(code, SPAN)
            point = points.setdefault(
                (page, day - HALF_SPAN), {"visitors": 0, "leads": 0, "won": 0, "revenue": 0}
            )
            point[measure] += total
    epoch = date(2000, 1, 1)
    series = [
        schemas.AbSeriesPoint(
            date=epoch + timedelta(days=day),
            page_id=page_ids[page],
            visitors=point["visitors"],
            leads=point["leads"],
            won=point["won"],
            revenue=_money(point["revenue"]),
        )
        for (page, day), point in points.items()
    ]
    series.sort(key=lambda p: (p.date, p.page_id))
    return series


async def counts_and_series(
    bi: AsyncSession,
    period: schemas.Period,
    through: datetime | None,
    page_ids: list[uuid.UUID],
    *,
    timezone: str,
    currency: str,
    series: bool = True,
) -> tuple[dict[uuid.UUID, Counts], list[schemas.AbSeriesPoint]]:
    """Per variant (page id): visitors, converted visitors, won, revenue and Σ revenue²;
    and the daily series (empty unless `series`)."""
    row = (await bi.execute(_reads(period.start, period.end, through, page_ids, currency))).one()
    found = _visitors(bytes(row.entries), bytes(row.leads))
    return _counts(found, page_ids), (_series(found, page_ids, timezone) if series else [])
