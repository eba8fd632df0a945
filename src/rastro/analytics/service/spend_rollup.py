"""The monthly spend rollup (`campaign_metrics_monthly`): the daily spend rows summed per
ad (with its campaign and ad set), calendar month and currency, so a report over months
reads one row per ad and month instead of one per ad and day.

Kept in step by the only writer of spend, `spend.store_rows`: its upsert is one statement
that also adds each written row's figures to its month and subtracts what the row held
before (a re-import that restates a day, or moves an ad to another campaign, moves its
figures with it). Sums are `numeric`, so they are exact. Writes of one ad account take a
transaction lock first (`lock_account`): two imports of the same account never compute
their "before" from the same old rows. A month whose rows all moved elsewhere is deleted.

Reads (`period_sums`) take the months that lie wholly inside the range from the rollup and
the days at its edges (a range starting or ending mid-month, the current month) from the
daily rows, in one statement; the figures equal a sum over the daily rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    case,
    cast,
    delete,
    func,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics.ad_models import CampaignMetric, CampaignMetricMonth

_FIGURES = (
    "spend",
    "conversion_value",
    "impressions",
    "clicks",
    "hooked_impressions",
    "video_3s_views",
    "video_3s_days",
    "conversions",
)
_ROLLUP_KEY = (
    "organization_id",
    "month",
    "platform",
    "account_id",
    "ad_id",
    "currency",
    "campaign_id",
    "ad_set_key",
)
# What a daily row adds to its month (`sign` -1 takes it back out).
_DELTA = (
    "organization_id, date_trunc('month', day)::date, platform, account_id, ad_id, currency, "
    "campaign_id, CASE WHEN ad_set_id IS NULL THEN '' ELSE '=' || ad_set_id END, ad_set_id, "
    "sum(sign), sum(sign * spend), sum(sign * conversion_value), sum(sign * impressions), "
    "sum(sign * clicks), "
    "coalesce(sum(sign * impressions) FILTER (WHERE video_3s_views IS NOT NULL), 0), "
    "coalesce(sum(sign * video_3s_views), 0), "
    "coalesce(sum(sign) FILTER (WHERE video_3s_views IS NOT NULL), 0), "
    "sum(sign * conversions)"
)
_DELTA_COLUMNS = (
    "organization_id, platform, account_id, campaign_id, ad_set_id, ad_id, day, currency, "
    "spend, conversion_value, impressions, clicks, video_3s_views, conversions"
)
_ROLLUP_COLUMNS = ", ".join((*_ROLLUP_KEY, "ad_set_id", "day_count", *_FIGURES))
_GROUP = (
    "organization_id, date_trunc('month', day)::date, platform, account_id, ad_id, currency, "
    "campaign_id, ad_set_id"
)


def upsert_statement(key: Sequence[str], columns: Sequence[str], metrics: Sequence[str]) -> Any:
    """The daily rows' upsert (`:rows`, a JSON array of `campaign_metrics` rows with
    `columns`, conflicting on `key`) that also moves their figures in the monthly rollup;
    it returns the rollup keys it left without rows (to delete)."""
    listed = ", ".join(columns)
    joined = " AND ".join(f"m.{c} = g.{c}" for c in key)
    replaced = ", ".join(f"{c} = EXCLUDED.{c}" for c in metrics)
    added = ", ".join(f"{c} = t.{c} + EXCLUDED.{c}" for c in ("day_count", *_FIGURES))
    rollup_key = ", ".join(_ROLLUP_KEY)
    # Only the constants above and the caller's column names go into the text.
    parts = (
        f"WITH given AS (SELECT {listed} ",
        "FROM jsonb_populate_recordset(NULL::campaign_metrics, CAST(:rows AS jsonb))), ",
        f"before AS (SELECT m.* FROM campaign_metrics m JOIN given g ON {joined}), ",  # noqa: S608
        f"written AS (INSERT INTO campaign_metrics ({listed}, updated_at) ",
        f"SELECT {listed}, now() FROM given ",  # noqa: S608
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {replaced}, updated_at = now() ",
        f"RETURNING {_DELTA_COLUMNS}), ",
        f"delta AS (SELECT 1 AS sign, {_DELTA_COLUMNS} FROM written ",  # noqa: S608
        f"UNION ALL SELECT -1, {_DELTA_COLUMNS} FROM before), ",  # noqa: S608
        f"rolled AS (INSERT INTO campaign_metrics_monthly AS t ({_ROLLUP_COLUMNS}) ",
        f"SELECT {_DELTA} FROM delta GROUP BY {_GROUP} ",  # noqa: S608
        f"ON CONFLICT ({rollup_key}) DO UPDATE SET {added} ",
        f"RETURNING {rollup_key}, t.day_count) ",
        f"SELECT {rollup_key} FROM rolled WHERE day_count = 0",  # noqa: S608
    )
    return text("".join(parts))


async def lock_account(
    bi: AsyncSession, organization_id: uuid.UUID, platform: str, account_id: str
) -> None:
    """Hold the account's spend-write lock until the transaction ends."""
    await bi.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 18))"),
        {"key": f"campaign_metrics_monthly:{organization_id}:{platform}:{account_id}"},
    )


async def drop_emptied(bi: AsyncSession, keys: Sequence[Any]) -> None:
    """Delete rollup rows left without daily rows (their days moved to another key)."""
    if keys:
        r = CampaignMetricMonth
        await bi.execute(
            delete(r).where(
                tuple_(*(getattr(r, c) for c in _ROLLUP_KEY)).in_([tuple(k) for k in keys]),
                r.day_count == 0,
            )
        )


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
