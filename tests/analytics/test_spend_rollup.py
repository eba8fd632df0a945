"""The monthly spend rollup against the daily rows: after imports, a re-import that restates
figures, moves an ad to another campaign and ad set and drops 3-second views, an update to
another currency and a delete, and spend in another currency (converted per day where a rate is known), the rollup holds exactly the
daily rows' sums, and the correlation's spend read through it (whole months from the
rollup, edge days from the daily rows) equals the spend read from the daily rows alone,
for every level and for ranges that start and end mid-month, on month edges, in one month
and across a year."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select, text

from rastro.analytics.ad_models import CampaignMetricMonth
from rastro.analytics.schemas import Period, ReportFilters
from rastro.analytics.service import correlation, fx, spend_rollup
from rastro.analytics.service.overview import Scope
from rastro.analytics.spend.base import SpendRow
from rastro.core.db import Databases
from rastro.core.db import Scope as DbScope
from tests.analytics.join_data import ad_row, store_spend

FIRST = date(2024, 11, 17)
LAST = date(2025, 3, 9)
CAMPAIGN_A = ("c1", "Campanha A")
CAMPAIGN_B = ("c2", "Campanha B")


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _meta_rows(days: list[date], cents: int) -> list[SpendRow]:
    rows = []
    for n, day in enumerate(days):
        for ad in range(3):
            rows.append(
                ad_row(
                    day,
                    CAMPAIGN_A if ad < 2 else CAMPAIGN_B,
                    (f"a{ad}", f"Ad {ad}"),
                    str(Decimal(cents + 37 * n + ad) / 100),
                    ad_set=("s1", "Set 1") if ad != 1 else None,
                    impressions=1000 + n + ad,
                    clicks=10 + ad,
                    video_3s_views=(200 + n) if ad == 0 else None,
                    conversions=Decimal(n % 3),
                    conversion_value=Decimal(n % 5) * Decimal("12.5"),
                )
            )
    return rows


def _scope(first: date, last: date) -> Scope:
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(last + timedelta(days=1), time(), UTC)
    return Scope(
        period=Period(date_from=first, date_to=last, start=start, end=end),
        filters=ReportFilters(),
        through=None,
        timezone="America/Sao_Paulo",
        currency="BRL",
    )


RECOUNT = text(
    "SELECT organization_id, date_trunc('month', day::timestamp)::date AS month, platform, account_id, "
    "ad_id, currency, campaign_id, ad_set_id, count(*) AS day_count, sum(spend) AS spend, "
    "sum(conversion_value) AS conversion_value, sum(impressions) AS impressions, "
    "sum(clicks) AS clicks, "
    "coalesce(sum(impressions) FILTER (WHERE video_3s_views IS NOT NULL), 0) AS hooked, "
    "coalesce(sum(video_3s_views), 0) AS views, count(video_3s_views) AS views_days, "
    "sum(conversions) AS conversions FROM campaign_metrics "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
)


async def _rollup_and_recount(databases: Databases, org: uuid.UUID) -> tuple[list, list]:  # type: ignore[type-arg]
    async with databases.bi.transaction(DbScope.organization(org)) as bi:
        r = CampaignMetricMonth
        stored = (
            await bi.execute(
                select(
                    r.organization_id,
                    r.month,
                    r.platform,
                    r.account_id,
                    r.ad_id,
                    r.currency,
                    r.campaign_id,
                    r.ad_set_id,
                    r.day_count,
                    r.spend,
                    r.conversion_value,
                    r.impressions,
                    r.clicks,
                    r.hooked_impressions,
                    r.video_3s_views,
                    r.video_3s_days,
                    r.conversions,
                ).order_by(
                    r.organization_id,
                    r.month,
                    r.platform,
                    r.account_id,
                    r.ad_id,
                    r.currency,
                    r.campaign_id,
                    r.ad_set_id,
                )
            )
        ).all()
        recount = (await bi.execute(RECOUNT)).all()
    return [tuple(row) for row in stored], [tuple(row) for row in recount]


async def test_the_rollup_equals_the_daily_rows_after_restatements_and_in_reports(
    databases: Databases,
) -> None:
    org = uuid.uuid4()
    other_org = uuid.uuid4()
    days = _days(FIRST, LAST)
    await store_spend(databases, org, "meta", "act_1", _meta_rows(days, 1000))
    # Another organization's spend stays out of this one's rollup and reports.
    await store_spend(databases, other_org, "meta", "act_1", _meta_rows(days[:40], 9000))
    # A USD account; rates known for part of its days only (the rest stays apart).
    usd = [
        ad_row(day, ("u1", "USD campaign"), ("u_ad", "USD ad"), f"{3 + n % 4}.25", currency="USD")
        for n, day in enumerate(days)
    ]
    await store_spend(databases, org, "tiktok", "tt_1", usd)
    async with databases.bi.transaction(DbScope.organization(org)) as bi:
        await fx.store_rates(
            bi,
            org,
            "BRL",
            [
                ("USD", day, Decimal("5.1") + Decimal(n % 7) / 10)
                for n, day in enumerate(days[20:90])
            ],
            source="manual",
        )
    # Re-import (restatement) of January and February: new figures; ad a1 moves to
    # campaign B with an ad set, a0 loses its 3-second views; a duplicate of the same key.
    restated = []
    for row in _meta_rows(_days(date(2025, 1, 1), date(2025, 2, 28)), 2000):
        if row.ad_id == "a1":
            row = replace(row, campaign_id="c2", ad_set_id="s9")
        if row.ad_id == "a0" and row.day.day % 2:
            row = replace(row, video_3s_views=None)
        restated.append(row)
    await store_spend(databases, org, "meta", "act_1", restated)
    await store_spend(databases, org, "meta", "act_1", restated[:30])

    # Any other write keeps it too: a day moved to another currency, days deleted.
    async with databases.bi.transaction(DbScope.organization(org)) as bi:
        await bi.execute(
            text(
                "UPDATE campaign_metrics SET currency = 'USD' "
                "WHERE ad_id = 'a0' AND day = '2025-02-25'"
            )
        )
        await bi.execute(
            text("DELETE FROM campaign_metrics WHERE ad_id = 'a2' AND day >= '2025-03-01'")
        )

    stored, recount = await _rollup_and_recount(databases, org)
    assert stored == recount
    assert not [row for row in stored if row[4] == "a2" and row[1] == date(2025, 3, 1)]
    assert {row[1] for row in stored} == {
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
        date(2025, 3, 1),
    }
    # a1's January days all moved to campaign c2: its old month row is gone, not zero.
    assert not [
        row for row in stored if row[4] == "a1" and row[1] == date(2025, 1, 1) and row[6] == "c1"
    ]
    assert all(row[8] > 0 for row in stored)

    # An ad with spend only on days a range reading its month whole takes out (it must not
    # appear with zero figures), and days after today (a month read whole less its days
    # still to come must take them out too).
    await store_spend(
        databases,
        org,
        "meta",
        "act_1",
        [
            ad_row(date(2025, 1, 2), CAMPAIGN_B, ("z1", "Only outside"), "7.5", impressions=9),
            ad_row(date(2099, 1, 5), CAMPAIGN_B, ("z2", "Future"), "3", impressions=4),
            ad_row(date(2099, 1, 20), CAMPAIGN_B, ("z2", "Future"), "5", impressions=6),
        ],
    )
    ranges = [
        (FIRST, LAST),  # mid-month to mid-month
        (date(2024, 12, 1), date(2025, 2, 28)),  # whole months only
        (date(2024, 12, 1), date(2025, 3, 9)),  # whole months, then part of one
        (date(2024, 11, 20), date(2025, 1, 31)),  # part of one, then whole months
        (date(2025, 1, 5), date(2025, 1, 25)),  # inside one month
        (date(2025, 2, 1), date(2025, 2, 28)),  # exactly one month
        (date(2024, 12, 31), date(2025, 1, 1)),  # across the year, no whole month
        (date(2025, 3, 9), date(2025, 3, 9)),  # one day
        (date(2024, 10, 1), date(2025, 4, 30)),  # beyond the data on both sides
        # Edge months read whole less the days outside the range:
        (date(2024, 11, 3), date(2025, 3, 27)),  # both edges
        (date(2025, 1, 3), date(2025, 1, 29)),  # inside one month (z1 taken out)
        (date(2099, 1, 2), date(2099, 1, 10)),  # the 20th, after today, taken out
    ]
    assert spend_rollup.plan(date(2024, 11, 3), date(2025, 3, 27)).subtracted
    assert spend_rollup.plan(date(2025, 1, 3), date(2025, 1, 29)).subtracted
    for first, last in ranges:
        for level in correlation.LEVEL_KEYS:
            async with databases.bi.transaction(DbScope.organization(org)) as bi:
                rolled = await correlation.spent(bi, _scope(first, last), level)
                daily = await correlation.spent(bi, _scope(first, last), level, rollup=False)
            assert rolled == daily, (first, last, level)
            assert rolled, (first, last, level)
    # The USD rows are converted where a rate is known and kept apart where not.
    async with databases.bi.transaction(DbScope.organization(org)) as bi:
        by_platform = await correlation.spent(bi, _scope(FIRST, LAST), "platform")
    tiktok = by_platform[("tiktok",)]
    assert tiktok.spend > 0
    assert tiktok.other["USD"] > 0
    # Hand check of one whole month of the restated account (every row of February; the
    # day moved to USD has no rate: apart).
    moved = (date(2025, 2, 25), "a0")
    february = [r for r in restated if r.day.month == 2 and (r.day, r.ad_id) != moved]
    [usd_day] = [r for r in restated if (r.day, r.ad_id) == moved]
    async with databases.bi.transaction(DbScope.organization(org)) as bi:
        month = await correlation.spent(bi, _scope(date(2025, 2, 1), date(2025, 2, 28)), "platform")
    assert month[("meta",)].spend == sum((r.spend for r in february), Decimal(0))
    assert month[("meta",)].other == {"USD": usd_day.spend}
    assert month[("meta",)].views_3s == sum(r.video_3s_views or 0 for r in [*february, usd_day])


def test_edge_months_are_read_the_cheaper_way() -> None:
    plan = spend_rollup.plan
    # The last 12 months on 7 December: December 2025 whole less its first 7 days, the
    # months between whole, the current month whole less the days still to come.
    assert plan(date(2025, 12, 8), date(2026, 12, 7), last_day=date(2026, 12, 8)) == (
        spend_rollup.Plan(
            months=(date(2025, 12, 1), date(2026, 12, 1)),
            added=(),
            subtracted=(
                (date(2025, 12, 1), date(2025, 12, 7)),
                (date(2026, 12, 8), date(2026, 12, 31)),
            ),
        )
    )
    # The last 30 days: both months read whole, less the days outside.
    assert plan(date(2026, 11, 8), date(2026, 12, 7), last_day=date(2026, 12, 8)).months == (
        date(2026, 11, 1),
        date(2026, 12, 1),
    )
    # Past months: an edge with fewer days inside than outside adds its days instead.
    assert plan(date(2025, 1, 25), date(2025, 3, 3), last_day=date(2026, 12, 8)) == (
        spend_rollup.Plan(
            months=(date(2025, 2, 1), date(2025, 2, 1)),
            added=(
                (date(2025, 1, 25), date(2025, 1, 31)),
                (date(2025, 3, 1), date(2025, 3, 3)),
            ),
            subtracted=(),
        )
    )
    # Whole months only; one day.
    assert plan(date(2025, 1, 1), date(2025, 2, 28)) == spend_rollup.Plan(
        months=(date(2025, 1, 1), date(2025, 2, 1)), added=(), subtracted=()
    )
    assert plan(date(2025, 3, 9), date(2025, 3, 9)) == spend_rollup.Plan(
        months=None, added=((date(2025, 3, 9), date(2025, 3, 9)),), subtracted=()
    )
