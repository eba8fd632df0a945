"""The Ads report's spend: per platform, campaign, ad set and ad of a range of days, the
spend and the platform-reported figures summed in SQL (one `GROUP BY ... ROLLUP`), each
group in one currency, with the current names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import spend_schemas as schemas
from rastro.analytics.models import Ad, AdCampaign, AdSet, CampaignMetric
from rastro.analytics.service.overview import Scope, report_range

# GROUPING(platform, campaign_id, ad_set_id, ad_id): a bit set per column rolled up.
LEVELS: dict[int, schemas.SpendLevel] = {
    0b0000: "ad",
    0b0001: "ad_set",
    0b0011: "campaign",
    0b0111: "platform",
    0b1111: "total",
}


def _ratio(part: Decimal | int, whole: Decimal | int) -> float | None:
    return float(Decimal(part) / Decimal(whole)) if whole else None


def _node(row: Any) -> schemas.SpendNode:
    spend = Decimal(row.spend)
    return schemas.SpendNode(
        level=LEVELS[row.level_bits],
        platform=row.platform,
        account_id=row.account_id,
        campaign_id=row.campaign_id,
        campaign_name=row.campaign_name,
        ad_set_id=row.ad_set_id,
        ad_set_name=row.ad_set_name,
        ad_id=row.ad_id,
        ad_name=row.ad_name,
        currency=row.currency,
        spend=spend,
        impressions=int(row.impressions),
        clicks=int(row.clicks),
        video_3s_views=None if row.video_3s_views is None else int(row.video_3s_views),
        conversions=Decimal(row.conversions),
        conversion_value=Decimal(row.conversion_value),
        ctr=_ratio(row.clicks, row.impressions),
        cpc=(spend / row.clicks).quantize(Decimal("0.01")) if row.clicks else None,
        hook_rate=_ratio(row.video_3s_views or 0, row.impressions)
        if row.video_3s_views is not None
        else None,
        platform_roas=_ratio(row.conversion_value, spend),
    )


async def spend_report(bi: AsyncSession, scope: Scope) -> schemas.SpendReport:
    """Spend, impressions, clicks and the platform's conversions, value and ROAS per
    platform, campaign, ad set and ad for the scope's days (each account's own days), with a
    total per currency; amounts are never summed across currencies."""
    m = CampaignMetric
    grouping = func.grouping(m.platform, m.campaign_id, m.ad_set_id, m.ad_id)
    sums = (
        select(
            grouping.label("level_bits"),
            m.currency,
            m.platform,
            m.account_id,
            m.campaign_id,
            m.ad_set_id,
            m.ad_id,
            func.sum(m.spend).label("spend"),
            func.sum(m.impressions).label("impressions"),
            func.sum(m.clicks).label("clicks"),
            func.sum(m.video_3s_views).label("video_3s_views"),
            func.sum(m.conversions).label("conversions"),
            func.sum(m.conversion_value).label("conversion_value"),
        )
        .where(m.day >= scope.period.date_from, m.day <= scope.period.date_to)
        .group_by(
            m.currency,
            func.rollup(m.platform, tuple_(m.account_id, m.campaign_id), m.ad_set_id, m.ad_id),
        )
        .subquery()
    )

    def same(table: Any) -> Any:
        return and_(table.platform == sums.c.platform, table.account_id == sums.c.account_id)

    statement = (
        select(
            sums,
            AdCampaign.name.label("campaign_name"),
            AdSet.name.label("ad_set_name"),
            Ad.name.label("ad_name"),
        )
        .outerjoin(AdCampaign, and_(same(AdCampaign), AdCampaign.campaign_id == sums.c.campaign_id))
        .outerjoin(AdSet, and_(same(AdSet), AdSet.ad_set_id == sums.c.ad_set_id))
        .outerjoin(Ad, and_(same(Ad), Ad.ad_id == sums.c.ad_id))
        .order_by(
            sums.c.level_bits.desc(),
            sums.c.spend.desc(),
            sums.c.currency,
            sums.c.platform,
            sums.c.account_id,
            sums.c.campaign_id,
            sums.c.ad_set_id,
            sums.c.ad_id,
        )
    )
    rows = [_node(row) for row in (await bi.execute(statement)).all()]
    return schemas.SpendReport(range=report_range(scope), rows=rows)
