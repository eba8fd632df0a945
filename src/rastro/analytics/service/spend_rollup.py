"""The monthly spend rollup (`campaign_metrics_monthly`): the daily spend rows summed per
ad (with its campaign and ad set), calendar month and currency, so a report over months
reads one row per ad and month instead of one per ad and day.

Kept in step inside PostgreSQL by statement-level triggers on `campaign_metrics`
(`rastro_spend_rollup()`, migrations/bi/sql/rastro_spend_rollup_v1.sql): every statement
that writes spend rows (the importers' and the CSV upload's upsert, `spend.store_rows`)
adds the rows it wrote to their months and takes out the rows it replaced or deleted, from
the triggers' transition tables. A re-import that restates a day, or moves an ad to another
campaign or ad set, moves its figures with it; sums are `numeric`, so they are exact; a
month key left without rows is deleted.

Reads (`period_sums`) take the months that lie wholly inside the range from the rollup.
A month the range covers in part is read either as its days in the range from the daily
rows, or whole from the rollup less its days outside the range, whichever reads fewer daily
rows (`plan`: the last 12 months starting on the 8th read a month less 7 days instead of
24 days, and the current month less its days still to come, which have no rows). All in one
statement; the figures equal a sum over the daily rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)

from rastro.analytics.ad_models import CampaignMetric, CampaignMetricMonth


def whole_months(date_from: date, date_to: date) -> tuple[date, date] | None:
    """The first days of the first and last calendar months lying wholly in the range."""
    first = date_from if date_from.day == 1 else _next_month(date_from)
    after = _next_month(date_to)  # the first day after the month of date_to
    last = after if date_to == after - timedelta(days=1) else date_to.replace(day=1)
    # `last` is the first day after the last whole month.
    if last <= first:
        return None
    return first, _previous_month(last)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class Plan:
    """Which rows a range's sums read: `months` from the rollup (first and last month, or
    None), the daily rows of `added` (day ranges, inclusive) added and those of
    `subtracted` taken out (the days outside the range of a month read whole)."""

    months: tuple[date, date] | None
    added: tuple[tuple[date, date], ...]
    subtracted: tuple[tuple[date, date], ...]


def plan(date_from: date, date_to: date, *, last_day: date | None = None) -> Plan:
    """The cheapest exact way to sum `date_from`..`date_to`: the months lying wholly inside
    from the rollup; each month the range covers only in part either by its days in the
    range (added) or whole from the rollup less its days outside the range (subtracted),
    whichever reads fewer daily rows. Days after `last_day` (by default tomorrow by the
    server's clock, a margin for accounts ahead of UTC) are counted as having no rows yet:
    they cost nothing to take out. That only weighs the choice: both ways are exact, and
    the days taken out are all of the month's days outside the range."""
    last_day = last_day or datetime.now(UTC).date() + timedelta(days=1)
    whole = whole_months(date_from, date_to)
    months: list[date] = list(whole) if whole is not None else []
    added: list[tuple[date, date]] = []
    subtracted: list[tuple[date, date]] = []
    partial = [date_from.replace(day=1), date_to.replace(day=1)]
    for month in dict.fromkeys(partial):
        after = _next_month(month)
        inside = (max(month, date_from), min(after - timedelta(days=1), date_to))
        if whole is not None and whole[0] <= month <= whole[1]:
            continue  # a whole month after all
        outside = [
            (month, date_from - timedelta(days=1)) if date_from > month else None,
            (date_to + timedelta(days=1), after - timedelta(days=1))
            if date_to < after - timedelta(days=1)
            else None,
        ]
        outside_days = sum(
            max(0, (min(last, last_day) - first).days + 1) for first, last in filter(None, outside)
        )
        if outside_days < (inside[1] - inside[0]).days + 1:
            months.append(month)
            subtracted += filter(None, outside)
        else:
            added.append(inside)
    return Plan(
        months=(min(months), max(months)) if months else None,
        added=tuple(added),
        subtracted=tuple(subtracted),
    )


def period_sums(
    level_keys: Sequence[str], date_from: date, date_to: date, *, rollup: bool = True
) -> Select[Any]:
    """Per `level_keys` and currency, the figures of the days `date_from`..`date_to`:
    spend, value, impressions, clicks, hooked impressions, 3-second views (NULL when no
    day reports them), conversions. Read as `plan` says: months from the rollup, days at
    the range's edges added from the daily rows or, for an edge month read whole, its days
    outside the range taken out (`rollup=False`: all from the daily rows). A key whose
    rows all lie outside the range (net zero days) is left out, as the daily rows alone
    would leave it."""
    m = CampaignMetric
    read = plan(date_from, date_to) if rollup else Plan(None, ((date_from, date_to),), ())

    def daily(ranges: tuple[tuple[date, date], ...], sign: int) -> Select[Any]:
        return select(
            *(getattr(m, k).label(k) for k in level_keys),
            m.currency.label("currency"),
            literal(sign).label("days"),
            (sign * m.spend).label("spend"),
            (sign * m.conversion_value).label("value"),
            (sign * m.impressions).label("impressions"),
            (sign * m.clicks).label("clicks"),
            case((m.video_3s_views.is_not(None), sign * m.impressions), else_=0).label("hooked"),
            (sign * func.coalesce(m.video_3s_views, 0)).label("views_3s"),
            (sign * cast(m.video_3s_views.is_not(None), Integer)).label("views_3s_days"),
            (sign * m.conversions).label("conversions"),
        ).where(or_(*(and_(m.day >= first, m.day <= last) for first, last in ranges)))

    parts: list[Select[Any]] = []
    if read.added:
        parts.append(daily(read.added, 1))
    if read.subtracted:
        parts.append(daily(read.subtracted, -1))
    if read.months is not None:
        r = CampaignMetricMonth
        parts.append(
            select(
                *(getattr(r, k).label(k) for k in level_keys),
                r.currency.label("currency"),
                r.day_count.label("days"),
                r.spend.label("spend"),
                r.conversion_value.label("value"),
                r.impressions.label("impressions"),
                r.clicks.label("clicks"),
                r.hooked_impressions.label("hooked"),
                r.video_3s_views.label("views_3s"),
                r.video_3s_days.label("views_3s_days"),
                r.conversions.label("conversions"),
            ).where(r.month >= read.months[0], r.month <= read.months[1])
        )
    both = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("spend_parts")
    keys = [both.c[k] for k in level_keys]
    hooked_days = func.sum(both.c.views_3s_days)
    return (
        select(
            *keys,
            both.c.currency,
            func.sum(both.c.spend).label("spend"),
            func.sum(both.c.value).label("value"),
            func.sum(both.c.impressions).label("impressions"),
            func.sum(both.c.clicks).label("clicks"),
            case((hooked_days > 0, func.sum(both.c.hooked))).label("hooked"),
            case((hooked_days > 0, func.sum(both.c.views_3s))).label("views_3s"),
            func.sum(both.c.conversions).label("conversions"),
        )
        .group_by(*keys, both.c.currency)
        .having(func.sum(both.c.days) > 0)
    )
