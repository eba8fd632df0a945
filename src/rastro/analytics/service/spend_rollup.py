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

Reads (`period_sums`) take the months that lie wholly inside the range from the rollup and
the days at its edges (a range starting or ending mid-month, the current month) from the
daily rows, in one statement; the figures equal a sum over the daily rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
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


def period_sums(
    level_keys: Sequence[str], date_from: date, date_to: date, *, rollup: bool = True
) -> Select[Any]:
    """Per `level_keys` and currency, the figures of the days `date_from`..`date_to`:
    spend, value, impressions, clicks, hooked impressions, 3-second views (NULL when no
    day reports them), conversions. Whole months from the rollup, the rest from the
    daily rows (`rollup=False`: all from the daily rows)."""
    m = CampaignMetric
    months = whole_months(date_from, date_to) if rollup else None
    day_parts: list[Any] = []
    if months is None:
        day_parts.append(and_(m.day >= date_from, m.day <= date_to))
    else:
        if date_from < months[0]:
            day_parts.append(and_(m.day >= date_from, m.day < months[0]))
        past = _next_month(months[1])
        if past <= date_to:
            day_parts.append(and_(m.day >= past, m.day <= date_to))
    parts: list[Select[Any]] = []
    if day_parts:
        parts.append(
            select(
                *(getattr(m, k).label(k) for k in level_keys),
                m.currency.label("currency"),
                m.spend.label("spend"),
                m.conversion_value.label("value"),
                m.impressions.label("impressions"),
                m.clicks.label("clicks"),
                case((m.video_3s_views.is_not(None), m.impressions), else_=0).label("hooked"),
                func.coalesce(m.video_3s_views, 0).label("views_3s"),
                cast(m.video_3s_views.is_not(None), Integer).label("views_3s_days"),
                m.conversions.label("conversions"),
            ).where(or_(*day_parts))
        )
    if months is not None:
        r = CampaignMetricMonth
        parts.append(
            select(
                *(getattr(r, k).label(k) for k in level_keys),
                r.currency.label("currency"),
                r.spend.label("spend"),
                r.conversion_value.label("value"),
                r.impressions.label("impressions"),
                r.clicks.label("clicks"),
                r.hooked_impressions.label("hooked"),
                r.video_3s_views.label("views_3s"),
                r.video_3s_days.label("views_3s_days"),
                r.conversions.label("conversions"),
            ).where(r.month >= months[0], r.month <= months[1])
        )
    both = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("spend_parts")
    keys = [both.c[k] for k in level_keys]
    hooked_days = func.sum(both.c.views_3s_days)
    return select(
        *keys,
        both.c.currency,
        func.sum(both.c.spend).label("spend"),
        func.sum(both.c.value).label("value"),
        func.sum(both.c.impressions).label("impressions"),
        func.sum(both.c.clicks).label("clicks"),
        case((hooked_days > 0, func.sum(both.c.hooked))).label("hooked"),
        case((hooked_days > 0, func.sum(both.c.views_3s))).label("views_3s"),
        func.sum(both.c.conversions).label("conversions"),
    ).group_by(*keys, both.c.currency)
