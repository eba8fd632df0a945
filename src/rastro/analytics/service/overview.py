"""The Overview: the totals, the daily series and the channel and campaign tables of one
period (and of the compared one), from the rollups plus the newest raw minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Subquery

from rastro.analytics import schemas
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service import rollups, visitor_sets
from rastro.tracking.service import facts as tracking_facts

LIVE_WINDOW = timedelta(minutes=5)
TOP_CAMPAIGNS = 100


def ratio(part: float | Decimal | None, whole: float | Decimal | None) -> float | None:
    """part / whole, or None when the whole is zero (never NaN)."""
    if part is None or not whole:
        return None
    return float(part) / float(whole)


@dataclass(frozen=True)
class Scope:
    """One report question: a period, the filters, the rollups' state, the org's ways."""

    period: schemas.Period
    filters: schemas.ReportFilters
    through: datetime | None
    timezone: str
    currency: str

    @property
    def filtered_dimensions(self) -> tuple[str, ...]:
        """The dimensions the filters set (a rollup level must have them)."""
        return tuple(d for d in report_filters.FILTERED if getattr(self.filters, d) is not None)

    def summary(self, dimensions: tuple[str, ...] = (), *, days: bool = False) -> Subquery:
        """Conversion rows of the period with `dimensions` and the filtered ones, from the
        smallest rollup level that has them (plus the newest raw minutes); with a `day`
        column only when `days` (else whole months are read from the month levels)."""
        needed = (*dimensions, *self.filtered_dimensions)
        return rollups.summary_rows(self.period, self.through, self.timezone, needed, days=days)

    def visits(self) -> Subquery:
        return rollups.visitor_keys(self.period.start, self.period.end, self.through)


def report_range(current: Scope, previous: Scope | None = None) -> schemas.ReportRange:
    """The period a report covers (and the compared one), its timezone and freshness."""
    return schemas.ReportRange(
        current=current.period,
        previous=previous.period if previous else None,
        timezone=current.timezone,
        currency=current.currency,
        data_through=current.through,
    )


def local_date(scope: Scope, moment: Any) -> ColumnElement[date]:
    """The organization's calendar day of a UTC instant."""
    return cast(func.timezone(scope.timezone, moment), Date)


def _sums(summary: Subquery, names: tuple[str, ...]) -> list[ColumnElement[Any]]:
    return [func.coalesce(func.sum(summary.c[m]), 0).label(m) for m in names]


def revenue_in(summary: Subquery, currency: str) -> ColumnElement[Decimal]:
    """The revenue of the rows in `currency` (other currencies left out, never converted)."""
    return func.coalesce(
        func.sum(summary.c.revenue).filter(summary.c.currency == currency), 0
    ).label("revenue")


async def totals(bi: AsyncSession, scope: Scope, visitors: int | None = None) -> schemas.Totals:
    """The period's totals (one rollup query, grouped by currency; one distinct-visitor
    count unless `visitors` gives it)."""
    summary = scope.summary()
    where = report_filters.conditions(summary, scope.filters)
    rows = await bi.execute(
        select(summary.c.currency, *_sums(summary, rollups.MEASURES))
        .where(*where)
        .group_by(summary.c.currency)
        .order_by(summary.c.currency)
    )
    sums: dict[str, Any] = dict.fromkeys(rollups.MEASURES, 0)
    money = []
    for found in rows:
        for m in rollups.MEASURES:
            sums[m] += getattr(found, m)
        if found.currency is not None and found.won > 0:
            money.append((found.currency, found.revenue))
    if visitors is None:
        visitors = (await visitor_sets.distinct_visitors(bi, scope))[None]
    revenue = [schemas.Money(currency=c, amount=Decimal(a)) for c, a in money]
    return schemas.Totals(
        visitors=visitors or 0,
        sessions=sums["sessions"],
        new_sessions=sums["new_sessions"],
        bounce_rate=ratio(sums["bounces"], sums["sessions"]),
        pages_per_session=ratio(sums["page_views"], sums["sessions"]),
        leads=sums["leads"],
        qualified=sums["qualified"],
        won=sums["won"],
        revenue=revenue,
        conversion_rate=ratio(sums["leads"], sums["sessions"]),
        qualification_rate=ratio(sums["qualified"], sums["leads"]),
        win_rate=ratio(sums["won"], sums["leads"]),
        average_score=ratio(sums["score_points"], sums["leads"]),
        average_time_to_conversion=ratio(sums["conversion_seconds"], sums["conversion_timed"]),
        average_sales_cycle=ratio(sums["sales_cycle_seconds"], sums["won"]),
        cost=None,
        roas=None,
    )


async def series(
    bi: AsyncSession, scope: Scope, visitors: dict[Any, int] | None = None
) -> list[schemas.SeriesPoint]:
    """One point per day of the period (days without data are zeros); `visitors` per day
    when the caller counted them."""
    summary = scope.summary(days=True)
    day = summary.c.day
    rows = await bi.execute(
        select(
            day,
            *_sums(summary, ("sessions", "leads", "qualified", "won")),
            revenue_in(summary, scope.currency),
        )
        .where(*report_filters.conditions(summary, scope.filters))
        .group_by(day)
    )
    by_day = {row.day: row for row in rows}
    if visitors is None:
        visitors = await visitor_sets.distinct_visitors(bi, scope, "day")
    points = []
    day_cursor = scope.period.date_from
    while day_cursor <= scope.period.date_to:
        row = by_day.get(day_cursor)
        points.append(
            schemas.SeriesPoint(
                date=day_cursor,
                visitors=visitors.get(day_cursor, 0),
                sessions=row.sessions if row else 0,
                leads=row.leads if row else 0,
                qualified=row.qualified if row else 0,
                won=row.won if row else 0,
                revenue=Decimal(row.revenue) if row else Decimal(0),
            )
        )
        day_cursor += timedelta(days=1)
    return points


async def breakdown(
    bi: AsyncSession, scope: Scope, dimension: str, *, limit: int | None = None
) -> list[schemas.BreakdownRow]:
    """The period's figures per value of one dimension, most revenue and sessions first."""
    summary = scope.summary((dimension,))
    key = summary.c[dimension]
    revenue = revenue_in(summary, scope.currency)
    query = (
        select(
            key.label("key"), *_sums(summary, ("sessions", "leads", "qualified", "won")), revenue
        )
        .where(*report_filters.conditions(summary, scope.filters))
        .group_by(key)
        .order_by(revenue.desc(), func.sum(summary.c.sessions).desc(), key)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        schemas.BreakdownRow(
            key=None if row.key is None else str(row.key),
            sessions=row.sessions,
            leads=row.leads,
            qualified=row.qualified,
            won=row.won,
            revenue=Decimal(row.revenue),
            conversion_rate=ratio(row.leads, row.sessions),
            win_rate=ratio(row.won, row.leads),
        )
        for row in await bi.execute(query)
    ]


async def live_visitors(bi: AsyncSession, *, now: datetime | None = None) -> int:
    """Distinct human visitors active in the last five minutes."""
    since = (now or datetime.now(UTC)) - LIVE_WINDOW
    return int(await bi.scalar(tracking_facts.live_visitor_count_query(since)) or 0)


async def overview(bi: AsyncSession, current: Scope, previous: Scope | None) -> schemas.Overview:
    """The Overview of `current`, compared with `previous` when given (each period's
    visitors read once, for its totals and its days)."""
    now_visitors, now_days = await visitor_sets.daily_and_total(bi, current)
    now_totals = await totals(bi, current, now_visitors)
    before: tuple[schemas.Totals, list[schemas.SeriesPoint]] | None = None
    if previous is not None:
        then_visitors, then_days = await visitor_sets.daily_and_total(bi, previous)
        before = (
            await totals(bi, previous, then_visitors),
            await series(bi, previous, then_days),
        )
    return schemas.Overview(
        range=schemas.ReportRange(
            current=current.period,
            previous=previous.period if previous else None,
            timezone=current.timezone,
            currency=current.currency,
            data_through=current.through,
        ),
        totals=now_totals,
        previous=before[0] if before else None,
        series=await series(bi, current, now_days),
        previous_series=before[1] if before else None,
        by_channel=await breakdown(bi, current, "channel"),
        by_campaign=await breakdown(bi, current, "campaign", limit=TOP_CAMPAIGNS),
        live_visitors=await live_visitors(bi),
        other_currencies=[m.currency for m in now_totals.revenue if m.currency != current.currency],
        cost_note="no_spend_data",
    )
