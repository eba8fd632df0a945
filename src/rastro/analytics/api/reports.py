"""Routes of the campaign, channel, offline-conversion and landing-page reports. Each takes
the report filters (period or preset, comparison, domain, landing page, channel, source,
medium, campaign, content, term, device) and answers from the rollups."""

from __future__ import annotations

from fastapi import APIRouter

from rastro.analytics import schemas
from rastro.analytics.api.context import Context
from rastro.analytics.service import landing_pages, profit_reports, reports, spend_costs
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["analytics"],
)


@router.get("/campaigns", response_model=schemas.CampaignReport)
async def get_campaign_performance(
    context: Context, bi: BiSession, group_by: schemas.CampaignGrouping = "campaign"
) -> schemas.CampaignReport:
    """Campaign performance (seed 001 query 1, seed 000 `campaign_performance`): per
    campaign, source, medium, source + medium, content or term, the sessions, leads,
    qualified leads, won deals (offline conversions from the CRM included) and revenue of
    the period, average lead score (A=4 … D=1), average time to conversion (first touch →
    lead) and sales cycle (lead → won), conversion and win rates, and the compared period's
    figures. Revenue is in the organization's currency; other currencies are listed per row
    in `other_revenue`, never summed. Cost, CPL, CPA, ROAS and ROI come from the ad spend
    the row's touches reach (the join rules); where none, they are null and `cost_note`
    says why (`no_spend_data`, `unmapped`, `spend_not_filterable`). `profit` holds net
    revenue (revenue - refunds - chargebacks) and profit (net revenue - fees - taxes -
    product costs - commissions - ad spend) with every term, from the profit settings;
    refunds and chargebacks count in the period they happen, in the row of the campaign
    that earned the sale (a row with nothing else is added)."""
    keys = reports.CAMPAIGN_KEYS[group_by]
    report = await reports.campaign_performance(
        bi, context.current, context.previous, group_by=group_by
    )
    report = await spend_costs.with_report_cost(bi, context.current, context.previous, report, keys)
    return await profit_reports.with_report_profit(
        bi, context.current, context.previous, report, keys
    )


@router.get("/channels", response_model=schemas.ChannelReport)
async def get_channel_roi(context: Context, bi: BiSession) -> schemas.ChannelReport:
    """ROI per channel (seed 001 query 4): sessions, leads, won deals and revenue per
    channel. Cost and ROI come only from imported ad spend that the channel's touches reach
    (the join rules); where none, they are null and `cost_note` says why (no assumed costs).
    `profit` as in the campaign report."""
    report = await reports.channel_roi(bi, context.current, context.previous)
    report = await spend_costs.with_report_cost(
        bi, context.current, context.previous, report, ("channel",)
    )
    return await profit_reports.with_report_profit(
        bi, context.current, context.previous, report, ("channel",)
    )


@router.get("/offline-conversions", response_model=schemas.OfflineConversionReport)
async def get_offline_conversions(
    context: Context, bi: BiSession
) -> schemas.OfflineConversionReport:
    """Offline conversion metrics (seed 000 `offline_conversion_metrics`): per source and
    per channel, leads created and deals won in the period, lead → sale rate (won per
    lead), average sales cycle and average deal value in the organization's currency."""
    return await reports.offline_conversions(bi, context.current, context.previous)


@router.get("/landing-pages", response_model=schemas.LandingPageReport)
async def get_landing_page_funnel(
    context: Context, bi: BiSession, crm: CrmSession
) -> schemas.LandingPageReport:
    """Landing-page funnel (seed 001 query 2): per registered landing page and variant,
    sessions that began on it → sessions with a `form_start` event → leads captured on
    it → qualified → won, with each step's rate (form start, form completion,
    qualification, close) and the compared period's; `unregistered` holds the sessions
    and leads that did not begin on a registered page."""
    return await landing_pages.landing_page_funnel(bi, crm, context.current, context.previous)
