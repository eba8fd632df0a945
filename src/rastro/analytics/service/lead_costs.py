"""Seed 003 `lead_attribution`'s ad columns: each lead's platform campaign, ad set and ad
(the campaign its credited touch reaches, `spend_join`) and the campaign's figures at the
moment of the conversion: `cpa_at_conversion` (spend ÷ leads of the campaign over the
`WINDOW_DAYS` days up to the lead's day) and `roas` (won revenue ÷ spend over the same days;
spend converted into the organization's currency per day where a rate is known, revenue in it
only). Written set-based through
tracking's `apply_ad_attribution`, from the refresh, for the leads of the last
`RESTATED` days (the platforms restate recent spend)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Date, Numeric, and_, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics.ad_models import CampaignMetric
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import fx, spend_join
from rastro.analytics.service.correlation import FACT_COLUMNS
from rastro.tracking.service import attribution as tracking_attribution

WINDOW_DAYS = 30
RESTATED = timedelta(days=35)
# lead_attribution's numeric(10, 2) columns.
LARGEST = literal(99999999.99, Numeric(10, 2))


async def attribute_leads(
    bi: AsyncSession, *, since: datetime | None, timezone: str, currency: str
) -> int:
    """Write the ad columns of the leads created since `since` (all when None); returns
    how many `lead_attribution` rows changed."""
    f = ConversionFact.__table__
    window = timedelta(days=WINDOW_DAYS)
    facts_query = select(
        f.c.lead_id,
        f.c.created_at,
        f.c.won_at,
        f.c.revenue,
        f.c.currency,
        *(f.c[c] for c in FACT_COLUMNS),
        f.c.combination_key,
    )
    if since is not None:
        facts_query = facts_query.where(f.c.created_at >= since - window)
    facts = facts_query.cte("facts")
    combos = (select(facts.c.combination_key, *(facts.c[c] for c in FACT_COLUMNS)).distinct()).cte(
        "fact_combos"
    )
    resolved = spend_join.resolve(combos).subquery("resolved")

    def day(moment: Any) -> Any:
        return cast(func.timezone(timezone, moment), Date)

    leads = (
        select(
            facts.c.lead_id,
            facts.c.created_at,
            resolved.c.platform,
            resolved.c.account_id,
            resolved.c.campaign_id,
            resolved.c.ad_set_id,
            resolved.c.ad_id,
            day(facts.c.created_at).label("day"),
            day(facts.c.won_at).label("won_day"),
            case((facts.c.currency == currency, func.coalesce(facts.c.revenue, 0)), else_=0).label(
                "revenue"
            ),
        )
        .join_from(facts, resolved, resolved.c.combination_key == facts.c.combination_key)
        .cte("attributed")
    )
    others = leads.alias("others")
    m = CampaignMetric
    first_day = leads.c.day - (WINDOW_DAYS - 1)

    def same_campaign(table: Any) -> Any:
        return and_(
            table.c.platform == leads.c.platform,
            table.c.account_id == leads.c.account_id,
            table.c.campaign_id == leads.c.campaign_id,
        )

    spend = (
        # In the organization's currency, converted per day where a rate is known.
        select(func.sum(fx.home_amount(m.spend, m.currency, m.day, currency)))
        .where(
            m.platform == leads.c.platform,
            m.account_id == leads.c.account_id,
            m.campaign_id == leads.c.campaign_id,
            m.day >= first_day,
            m.day <= leads.c.day,
        )
        .scalar_subquery()
    )
    lead_count = (
        select(func.count())
        .where(same_campaign(others), others.c.day >= first_day, others.c.day <= leads.c.day)
        .scalar_subquery()
    )
    revenue = (
        select(func.sum(others.c.revenue))
        .where(
            same_campaign(others),
            others.c.won_day >= first_day,
            others.c.won_day <= leads.c.day,
        )
        .scalar_subquery()
    )
    figures = select(
        leads.c.lead_id,
        leads.c.campaign_id,
        leads.c.ad_set_id,
        leads.c.ad_id,
        spend.label("spend"),
        lead_count.label("leads"),
        revenue.label("revenue"),
    )
    if since is not None:
        figures = figures.where(leads.c.created_at >= since)
    per_lead = figures.subquery("per_lead")
    ads = select(
        per_lead.c.lead_id,
        per_lead.c.campaign_id,
        per_lead.c.ad_set_id,
        per_lead.c.ad_id,
        func.least(
            func.round(per_lead.c.spend / func.nullif(per_lead.c.leads, 0), 2), LARGEST
        ).label("cpa_at_conversion"),
        func.least(
            func.round(func.coalesce(per_lead.c.revenue, 0) / func.nullif(per_lead.c.spend, 0), 2),
            LARGEST,
        ).label("roas"),
    )
    return await tracking_attribution.apply_ad_attribution(bi, ads)
