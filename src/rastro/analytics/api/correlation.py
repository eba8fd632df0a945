"""Routes of the spend ↔ visits join (the mapping table, what is left unmapped) and of the
ads correlation report (seed 003's Lead Correlation Service)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from rastro.analytics import correlation_schemas as schemas
from rastro.analytics.api.context import Context
from rastro.analytics.attribution import ModelName
from rastro.analytics.permissions import Admin, Read
from rastro.analytics.service import (
    attribution,
    correlation,
    insights,
    profit_reports,
    spend_mappings,
)
from rastro.core.deps import BiSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["analytics"],
)


@router.get("/ads", response_model=schemas.AdsReport)
async def get_ads_report(
    context: Context,
    bi: BiSession,
    level: schemas.AdsLevel = "campaign",
    model: ModelName | None = None,
) -> schemas.AdsReport:
    """Ads correlation (seed 003): per platform, campaign, ad set or ad, the period's spend,
    impressions, CTR, CPC, hook rate, the leads, qualified leads and won deals credited to it
    by `model` (default: the organization's Overview model) through the join rules, CPL,
    rates, average deal value, sales cycle, real revenue and real ROAS (won deals ÷ spend),
    the platform-reported conversions, value and ROAS, and the gap between the two ROAS.
    Money in the organization's currency; spend in other currencies is listed apart and
    converted per day at the stored rate (what no rate converts apart). The visit filters
    select the leads and sales, not spend. Under last touch each row's `profit` (profit per
    ad at ad level): its sales' net revenue minus fees, taxes, product costs, commissions
    and its spend."""
    settings = await attribution.get_settings(bi)
    report = await correlation.ads_report(
        bi,
        context.current,
        level=level,
        model=model or settings.overview_model,
        lookback_days=settings.lookback_days,
        half_life_days=settings.half_life_days,
    )
    return await profit_reports.with_ads_profit(bi, context.current, report)


@router.get("/spend/unmapped", response_model=schemas.Unmapped)
async def get_unmapped(context: Context, bi: BiSession) -> schemas.Unmapped:
    """Side by side for the period: campaigns with spend that no touch reaches, and the
    UTM campaigns of tagged touches that reach no campaign (with their sessions), to map
    them with `PUT /api/analytics/spend/mappings`."""
    return await spend_mappings.unmapped(bi, context.current)


@router.get("/spend/mappings", response_model=list[schemas.SpendMapping])
async def list_mappings(_: Read, bi: BiSession) -> list[schemas.SpendMapping]:
    """The organization's mappings of UTM values to platform campaigns, ad sets and ads."""
    return await spend_mappings.list_mappings(bi)


@router.put("/spend/mappings", response_model=list[schemas.SpendMapping])
async def put_mappings(
    body: schemas.SpendMappingsPut, principal: Admin, bi: BiSession
) -> list[schemas.SpendMapping]:
    """Save mappings (one per set of UTM values; saving the same values again replaces the
    target). The target must be an imported campaign (ad set, ad) or 422. Returns all."""
    return await spend_mappings.put_mappings(bi, principal.organization_id, body)


@router.delete(
    "/spend/mappings/{mapping_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "Not found in the caller's organization."}},
)
async def delete_mapping(mapping_id: uuid.UUID, _: Admin, bi: BiSession) -> Response:
    """Remove a mapping."""
    await spend_mappings.delete_mapping(bi, mapping_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/insights", response_model=schemas.CreativeInsights)
async def get_creative_insights(context: Context, bi: BiSession) -> schemas.CreativeInsights:
    """Per ad over the period (30 days by default): its figures, the account's baseline and
    a recommendation from written rules (`fix_tracking`, `watch`, `pause`, `scale`,
    `keep`) with the 95 % Wilson interval of its lead → sale rate, and since when the
    daily history has held it."""
    return await insights.creative_insights(bi, context.current)


@router.post("/insights/record", response_model=int)
async def record_creative_insights(context: Context, principal: Admin, bi: BiSession) -> int:
    """Keep today's recommendations in the history now (the daily job does it too);
    returns the ads recorded. Running it again the same day replaces the day's rows."""
    computed = await insights.creative_insights(bi, context.current)
    return await insights.record_day(
        bi, principal.organization_id, datetime.now(UTC).date(), computed
    )


@router.get("/insights/history", response_model=list[schemas.InsightHistoryEntry])
async def get_insight_history(
    _: Read,
    bi: BiSession,
    platform: Annotated[str, Query(max_length=20)],
    account_id: Annotated[str, Query(max_length=64)],
    ad_id: Annotated[str, Query(max_length=64)],
) -> list[schemas.InsightHistoryEntry]:
    """An ad's recommendations day by day, newest first (the last 90 stored days)."""
    return await insights.history(bi, platform, account_id, ad_id)
