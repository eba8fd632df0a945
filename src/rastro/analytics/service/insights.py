"""Creative insights per ad over a lookback (default 30 days): the Ads report's per-ad
figures (last-touch credit), the account's baseline, each ad's recommendation from the
written rules (`rastro.analytics.insights.rules`), and since when it holds (the daily
history in `creative_insights`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Text, any_, cast, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import correlation_schemas as schemas
from rastro.analytics.fx_models import CreativeInsight
from rastro.analytics.insights import RULES_VERSION, AdFigures, baseline_of, recommend
from rastro.analytics.schemas import ReportFilters
from rastro.analytics.service import correlation, periods, rollups
from rastro.analytics.service.overview import Scope, report_range

HISTORY_DAYS = 90


def _figures(row: schemas.AdsRow) -> AdFigures:
    f = row.figures
    return AdFigures(
        spend=f.spend,
        impressions=f.impressions,
        clicks=f.clicks,
        hook_rate=f.hook_rate,
        leads=f.leads,
        won=f.won,
        revenue=f.real_revenue,
    )


async def creative_insights(bi: AsyncSession, scope: Scope) -> schemas.CreativeInsights:
    report = await correlation.ads_report(
        bi, scope, level="ad", model="last_touch", lookback_days=90, half_life_days=7
    )
    ads = [row for row in report.rows if row.ad_id]
    figures = [_figures(row) for row in ads]
    base = baseline_of(figures)
    since = await _since(bi, ads)
    out = []
    for row, ad in zip(ads, figures, strict=True):
        insight = recommend(ad, base)
        key = (row.platform, row.account_id or "", row.ad_id or "")
        out.append(
            schemas.CreativeInsightRow(
                platform=row.platform,
                account_id=row.account_id,
                campaign_name=row.campaign_name,
                ad_id=row.ad_id,
                ad_name=row.ad_name,
                recommendation=insight.recommendation,
                rule=insight.rule,
                spend=ad.spend,
                leads=ad.leads,
                won=ad.won,
                revenue=ad.revenue,
                hook_rate=ad.hook_rate,
                cpl=insight.cpl,
                sale_rate=insight.sale_rate,
                sale_rate_low=insight.interval[0] if insight.interval else None,
                sale_rate_high=insight.interval[1] if insight.interval else None,
                hooks_well=insight.hooks_well,
                since=since.get(key, {}).get(insight.recommendation),
            )
        )
    return schemas.CreativeInsights(
        range=report_range(scope, None),
        rules_version=RULES_VERSION,
        baseline_sale_rate=base.sale_rate,
        baseline_cpl=base.cpl,
        baseline_hook_rate=base.hook_rate,
        rows=out,
    )


async def _since(
    bi: AsyncSession, ads: list[schemas.AdsRow]
) -> dict[tuple[str, str, str], dict[str, date]]:
    """Per ad and recommendation: the first day of the latest unbroken run of days the
    daily history held that recommendation."""
    if not ads:
        return {}
    h = CreativeInsight
    rows = await bi.execute(
        select(h.platform, h.account_id, h.ad_id, h.day, h.recommendation)
        # One array parameter: an IN list of every ad (2,000 on the benchmark) costs more
        # to build and send than the query.
        .where(h.ad_id == any_(cast(sorted({a.ad_id for a in ads if a.ad_id}), ARRAY(Text))))
        .order_by(h.platform, h.account_id, h.ad_id, h.day.desc())
    )
    runs: dict[tuple[str, str, str], list[tuple[date, str]]] = defaultdict(list)
    for row in rows:
        runs[(row.platform, row.account_id, row.ad_id)].append((row.day, row.recommendation))
    out: dict[tuple[str, str, str], dict[str, date]] = {}
    for key, days in runs.items():
        latest = days[0][1]
        start = days[0][0]
        for day, recommendation in days[1:]:
            if recommendation != latest or day != start - timedelta(days=1):
                break
            start = day
        out[key] = {latest: start}
    return out


async def record_day(
    bi: AsyncSession, organization_id: uuid.UUID, day: date, insights: schemas.CreativeInsights
) -> int:
    """Keep `day`'s recommendations (run again the same day: replaced, one row per ad)."""
    rows = [
        {
            "organization_id": organization_id,
            "day": day,
            "platform": r.platform,
            "account_id": r.account_id or "",
            "ad_id": r.ad_id or "",
            "recommendation": r.recommendation,
            "rule": r.rule,
            "rules_version": insights.rules_version,
            "figures": {
                "spend": str(r.spend),
                "leads": r.leads,
                "won": r.won,
                "sale_rate": r.sale_rate,
                "interval": [r.sale_rate_low, r.sale_rate_high],
                "cpl": str(r.cpl) if r.cpl is not None else None,
                "hook_rate": r.hook_rate,
            },
        }
        for r in insights.rows
    ]
    if not rows:
        return 0
    statement = insert(CreativeInsight).values(rows)
    await bi.execute(
        statement.on_conflict_do_update(
            index_elements=["organization_id", "day", "platform", "account_id", "ad_id"],
            set_={
                c: statement.excluded[c]
                for c in ("recommendation", "rule", "rules_version", "figures")
            },
        )
    )
    return len(rows)


async def history(
    bi: AsyncSession, platform: str, account_id: str, ad_id: str
) -> list[schemas.InsightHistoryEntry]:
    """An ad's recommendations, newest day first, over the last `HISTORY_DAYS` stored."""
    h = CreativeInsight
    rows = await bi.scalars(
        select(h)
        .where(h.platform == platform, h.account_id == account_id, h.ad_id == ad_id)
        .order_by(h.day.desc())
        .limit(HISTORY_DAYS)
    )
    return [
        schemas.InsightHistoryEntry(
            day=r.day, recommendation=r.recommendation, rule=r.rule, figures=r.figures
        )
        for r in rows
    ]


async def default_scope(bi: AsyncSession, organization: Any) -> Scope:
    """The last 30 days of the organization, as the daily job reads them."""
    filters = ReportFilters(preset="last_30_days")
    current, _ = periods.resolve(filters, organization.timezone, now=datetime.now(UTC))
    return Scope(
        period=current,
        filters=filters,
        through=await rollups.rollup_through(bi, organization.timezone),
        timezone=organization.timezone,
        currency=organization.currency,
    )
