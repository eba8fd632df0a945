"""Campaign performance (seed 001 query 1, seed 000 `campaign_performance`), ROI per channel
(seed 001 query 4) and offline conversion metrics (seed 000 `offline_conversion_metrics`):
the rollup's measures summed per value of some dimensions, for a period and the compared one.

Every figure comes from the conversion rollup's smallest level with the dimensions asked
for and filtered on (plus the newest raw minutes): sessions
by their start, leads by their creation, qualified leads and won deals (the CRM's offline
conversions) by the day they got there, revenue per currency. Cost is empty until ad spend
is imported (issue #18): never an estimate.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import schemas
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service.overview import Scope, ratio

NO_SPEND_DATA = "no_spend_data"
COUNTS = (
    "sessions",
    "leads",
    "qualified",
    "won",
    "score_points",
    "conversion_seconds",
    "conversion_timed",
    "sales_cycle_seconds",
)
CAMPAIGN_KEYS: dict[str, tuple[str, ...]] = {
    "campaign": ("campaign",),
    "source": ("source",),
    "medium": ("medium",),
    "source_medium": ("source", "medium"),
    "content": ("content",),
    "term": ("term",),
}

Key = tuple[Hashable, ...]


@dataclass
class Sums:
    """The additive measures of some rollup rows (revenue and won deals per currency)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    revenue: dict[str, Decimal] = field(default_factory=dict)
    won_in: dict[str, int] = field(default_factory=dict)

    def add(self, other: Sums) -> None:
        for name, value in other.counts.items():
            self.counts[name] += value
        for currency, amount in other.revenue.items():
            self.revenue[currency] = self.revenue.get(currency, Decimal(0)) + amount
        for currency, won in other.won_in.items():
            self.won_in[currency] = self.won_in.get(currency, 0) + won


async def grouped_sums(bi: AsyncSession, scope: Scope, keys: Sequence[str]) -> dict[Key, Sums]:
    """The period's measures per value of `keys` (columns of the rollup), filtered: one
    read of the rollup rows, grouped by the keys and the currency (the counts are then
    added over the currencies, revenue and won deals kept per currency)."""
    summary = scope.summary(tuple(keys))
    columns = [summary.c[k] for k in keys]
    rows = await bi.execute(
        select(
            *columns,
            summary.c.currency,
            *(func.coalesce(func.sum(summary.c[m]), 0).label(m) for m in COUNTS),
            func.coalesce(func.sum(summary.c.revenue), 0).label("revenue"),
        )
        .where(*report_filters.conditions(summary, scope.filters))
        .group_by(*columns, summary.c.currency)
    )
    result: dict[Key, Sums] = {}
    for row in rows:
        sums = result.setdefault(tuple(row[: len(keys)]), Sums())
        for m in COUNTS:
            sums.counts[m] += int(getattr(row, m))
        if row.currency is not None and row.won > 0:
            sums.revenue[row.currency] = Decimal(row.revenue)
            sums.won_in[row.currency] = int(row.won)
    return result


def total(groups: Iterable[Sums]) -> Sums:
    """The sum of some groups' measures (they are additive)."""
    whole = Sums()
    for sums in groups:
        whole.add(sums)
    return whole


def other_revenue(sums: Sums, currency: str) -> list[schemas.Money]:
    """Revenue in currencies other than `currency`, one entry each (never converted)."""
    return [
        schemas.Money(currency=c, amount=a)
        for c, a in sorted(sums.revenue.items())
        if c != currency
    ]


def figures(sums: Sums, currency: str) -> schemas.Figures:
    """A row's figures; cost and its ratios stay empty until ad spend exists."""
    c = sums.counts
    return schemas.Figures(
        sessions=c["sessions"],
        leads=c["leads"],
        qualified=c["qualified"],
        won=c["won"],
        revenue=sums.revenue.get(currency, Decimal("0.00")),
        other_revenue=other_revenue(sums, currency),
        conversion_rate=ratio(c["leads"], c["sessions"]),
        qualification_rate=ratio(c["qualified"], c["leads"]),
        win_rate=ratio(c["won"], c["leads"]),
        average_score=ratio(c["score_points"], c["leads"]),
        average_time_to_conversion=ratio(c["conversion_seconds"], c["conversion_timed"]),
        average_sales_cycle=ratio(c["sales_cycle_seconds"], c["won"]),
        cost=None,
        cpl=None,
        cpa=None,
        roas=None,
        roi=None,
        cost_note=NO_SPEND_DATA,
    )


def offline_figures(sums: Sums, currency: str) -> schemas.OfflineFigures:
    """Lead → sale figures of a row (the average value over deals in `currency`)."""
    c = sums.counts
    revenue = sums.revenue.get(currency, Decimal("0.00"))
    won_here = sums.won_in.get(currency, 0)
    return schemas.OfflineFigures(
        leads=c["leads"],
        won=c["won"],
        sale_rate=ratio(c["won"], c["leads"]),
        revenue=revenue,
        other_revenue=other_revenue(sums, currency),
        average_value=(revenue / won_here).quantize(Decimal("0.01")) if won_here else None,
        average_sales_cycle=ratio(c["sales_cycle_seconds"], c["won"]),
    )


def _order(key: Key, sums: Sums, currency: str) -> tuple[Any, ...]:
    """Most revenue first, then most sessions and leads, then the key (nulls last)."""
    names = tuple((value is None, str(value) if value is not None else "") for value in key)
    return (
        -sums.revenue.get(currency, Decimal(0)),
        -sums.counts["sessions"],
        -sums.counts["leads"],
        names,
    )


@dataclass(frozen=True)
class Compared:
    """Per key, the current period's measures and the compared period's (or None)."""

    rows: list[tuple[Key, Sums, Sums | None]]
    current: Sums
    previous: Sums | None
    currencies: list[str]


async def compared_sums(
    bi: AsyncSession, current: Scope, previous: Scope | None, keys: Sequence[str]
) -> Compared:
    """Both periods' measures per key: every key of either period, current order."""
    now = await grouped_sums(bi, current, keys)
    before = await grouped_sums(bi, previous, keys) if previous else None
    every = dict(now)
    for key in before or {}:
        every.setdefault(key, Sums())
    ordered = sorted(every, key=lambda k: _order(k, every[k], current.currency))
    rows = [(k, every[k], (before.get(k, Sums()) if before is not None else None)) for k in ordered]
    whole = total(now.values())
    currencies = sorted(c for c in whole.revenue if c != current.currency)
    return Compared(
        rows=rows,
        current=whole,
        previous=total(before.values()) if before is not None else None,
        currencies=currencies,
    )


def report_range(current: Scope, previous: Scope | None) -> schemas.ReportRange:
    """The periods, timezone, currency and rollup freshness a report answers for."""
    return schemas.ReportRange(
        current=current.period,
        previous=previous.period if previous else None,
        timezone=current.timezone,
        currency=current.currency,
        data_through=current.through,
    )


async def campaign_performance(
    bi: AsyncSession,
    current: Scope,
    previous: Scope | None,
    *,
    group_by: schemas.CampaignGrouping,
) -> schemas.CampaignReport:
    """Sessions, leads, qualified, won deals, revenue, averages and rates per campaign,
    source, medium, source/medium, content or term, with the compared period's."""
    keys = CAMPAIGN_KEYS[group_by]
    data = await compared_sums(bi, current, previous, keys)
    money = current.currency
    return schemas.CampaignReport(
        range=report_range(current, previous),
        group_by=group_by,
        dimensions=list(keys),
        rows=[
            schemas.CampaignRow(
                **{name: value for name, value in zip(keys, key, strict=True)},
                current=figures(now, money),
                previous=figures(before, money) if before is not None else None,
            )
            for key, now, before in data.rows
        ],
        totals=figures(data.current, money),
        previous_totals=figures(data.previous, money) if data.previous is not None else None,
        other_currencies=data.currencies,
        cost_note=NO_SPEND_DATA,
    )


async def channel_roi(
    bi: AsyncSession, current: Scope, previous: Scope | None
) -> schemas.ChannelReport:
    """Sessions, leads, won deals and revenue per channel; cost and ROI stay empty, with
    the reason, until ad spend exists (never an assumed cost)."""
    data = await compared_sums(bi, current, previous, ("channel",))
    money = current.currency
    return schemas.ChannelReport(
        range=report_range(current, previous),
        rows=[
            schemas.ChannelRow(
                channel=str(key[0]),
                current=figures(now, money),
                previous=figures(before, money) if before is not None else None,
            )
            for key, now, before in data.rows
        ],
        totals=figures(data.current, money),
        previous_totals=figures(data.previous, money) if data.previous is not None else None,
        other_currencies=data.currencies,
        cost_note=NO_SPEND_DATA,
    )


def _has_outcomes(sums: Sums | None) -> bool:
    return sums is not None and bool(sums.counts["leads"] or sums.counts["won"])


async def _offline_rows(
    bi: AsyncSession, current: Scope, previous: Scope | None, dimension: str
) -> tuple[list[schemas.OfflineRow], Compared]:
    data = await compared_sums(bi, current, previous, (dimension,))
    money = current.currency
    rows = [
        schemas.OfflineRow(
            key=None if key[0] is None else str(key[0]),
            current=offline_figures(now, money),
            previous=offline_figures(before, money) if before is not None else None,
        )
        for key, now, before in data.rows
        if _has_outcomes(now) or _has_outcomes(before)
    ]
    return rows, data


async def offline_conversions(
    bi: AsyncSession, current: Scope, previous: Scope | None
) -> schemas.OfflineConversionReport:
    """Lead → sale rate, average sales cycle and average value per source and per channel
    (rows with neither leads nor sales in either period left out)."""
    by_source, data = await _offline_rows(bi, current, previous, "source")
    by_channel, _ = await _offline_rows(bi, current, previous, "channel")
    money = current.currency
    return schemas.OfflineConversionReport(
        range=report_range(current, previous),
        by_source=by_source,
        by_channel=by_channel,
        totals=offline_figures(data.current, money),
        previous_totals=(
            offline_figures(data.previous, money) if data.previous is not None else None
        ),
        other_currencies=data.currencies,
    )
