"""Shapes of the spend ↔ visits join (mappings, unmapped spend and UTMs) and of the ads
correlation report (no ORM imports)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from rastro.analytics.attribution import ModelName
from rastro.analytics.schemas import Money, ReportRange
from rastro.analytics.schemas.profit import ProfitFigures
from rastro.analytics.spend_schemas import AccountId, Platform

AdsLevel = Literal["platform", "campaign", "ad_set", "ad"]
UtmValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ObjectId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
JoinRule = Literal[
    "utm_id",
    "utm_campaign_id",
    "utm_campaign_name",
    "ad_id",
    "ad_name",
    "ad_set_id",
    "ad_set_name",
    "mapping",
]


class SpendMappingIn(BaseModel):
    """UTM values (compared trimmed, without case; an absent value matches any) → a
    platform campaign, and optionally one of its ad sets or ads. At least one of
    `utm_campaign`, `utm_content`, `utm_term` is required; `account_id` may be left out
    when the campaign id is unique on the platform."""

    utm_source: UtmValue | None = None
    utm_campaign: UtmValue | None = None
    utm_content: UtmValue | None = None
    utm_term: UtmValue | None = None
    platform: Platform
    account_id: AccountId | None = None
    campaign_id: ObjectId
    ad_set_id: ObjectId | None = None
    ad_id: ObjectId | None = None

    @model_validator(mode="after")
    def _some_utm(self) -> Self:
        if not (self.utm_campaign or self.utm_content or self.utm_term):
            raise ValueError("give utm_campaign, utm_content or utm_term")
        return self


class SpendMappingsPut(BaseModel):
    """Mappings to save: each replaces the mapping of the same UTM values, if any."""

    mappings: list[SpendMappingIn] = Field(min_length=1, max_length=500)


class SpendMapping(BaseModel):
    id: uuid.UUID
    utm_source: str | None
    utm_campaign: str | None
    utm_content: str | None
    utm_term: str | None
    platform: str
    account_id: str
    campaign_id: str
    campaign_name: str | None
    ad_set_id: str | None
    ad_id: str | None
    updated_at: datetime


class UnmappedSpend(BaseModel):
    """A campaign with spend in the range that no touch of the range reaches."""

    platform: str
    account_id: str
    campaign_id: str
    campaign_name: str | None
    spend: list[Money] = Field(description="Per currency, never summed across")
    impressions: int
    clicks: int


class UnmappedUtm(BaseModel):
    """UTM values of touches in the range that reach no campaign with spend data."""

    source: str | None
    medium: str | None
    campaign: str | None
    sessions: int = Field(description="Sessions in the range with these values")
    last_seen: datetime


class Unmapped(BaseModel):
    range: ReportRange
    spend: list[UnmappedSpend] = Field(description="Most spend first")
    utm_campaigns: list[UnmappedUtm] = Field(description="Most sessions first")


class AdsFigures(BaseModel):
    """One row's spend, platform-reported results and real (CRM) results. Money is in the
    organization's currency, spend in another one converted per day at the stored rate;
    what no rate converts is in `other_spend`, per currency, never summed in."""

    spend: Decimal = Field(description="Spend in the organization's currency")
    other_spend: list[Money] = Field(description="Spend in other currencies, per currency")
    impressions: int
    clicks: int
    ctr: float | None = Field(description="Clicks / impressions")
    cpc: Decimal | None = Field(description="Spend / clicks")
    hook_rate: float | None = Field(
        description="3-second video views / impressions; null where the platform does not "
        "report 3-second views"
    )
    leads: float = Field(description="Leads credited (fractions under multi-touch models)")
    cpl: Decimal | None = Field(description="Spend / leads")
    qualified: float
    qualified_rate: float | None = Field(description="Qualified / leads")
    won: float = Field(description="Won deals credited")
    lead_to_customer_rate: float | None = Field(description="Won / leads")
    average_deal_value: Decimal | None = Field(description="Real revenue / won")
    average_sales_cycle: float | None = Field(description="Seconds, lead → won (last touch)")
    real_revenue: Decimal = Field(description="Won deals' value in the organization's currency")
    other_revenue: list[Money] = Field(description="Won value in other currencies")
    real_roas: float | None = Field(description="Real revenue / spend")
    platform_conversions: Decimal = Field(description="As the platform reports them")
    platform_value: Decimal = Field(description="As the platform reports it, in `spend`'s currency")
    platform_roas: float | None = Field(description="Platform value / spend")
    roas_gap: float | None = Field(description="Real ROAS minus platform ROAS")
    profit: ProfitFigures | None = Field(
        None,
        description="Profit of the sales credited to the row (last touch only: null under "
        "another model)",
    )


class AdsRow(BaseModel):
    """A platform, campaign, ad set or ad (the ids above the level set, below it null).
    At ad-set and ad level a row with a null ad set / ad holds the leads whose touch
    reached the campaign but named no ad set / ad (no spend of its own)."""

    platform: str
    account_id: str | None = None
    campaign_id: str | None = None
    campaign_name: str | None = None
    ad_set_id: str | None = None
    ad_set_name: str | None = None
    ad_id: str | None = None
    ad_name: str | None = None
    figures: AdsFigures


class AdsReport(BaseModel):
    range: ReportRange
    level: AdsLevel
    model: ModelName
    rows: list[AdsRow] = Field(description="Most spend first")
    totals: AdsFigures = Field(description="All rows together")
    unattributed: AdsFigures = Field(
        description="Leads and sales whose credited touch reaches no campaign (no spend)"
    )
    notes: list[str] = Field(
        description="`other_currency_spend` (some spend is not in the organization's "
        "currency: left out of ROAS), `filters_select_leads` (visit filters select the "
        "leads and sales, not the spend)"
    )


Recommendation = Literal["fix_tracking", "watch", "pause", "scale", "keep"]


class CreativeInsightRow(BaseModel):
    platform: str
    account_id: str | None
    campaign_name: str | None
    ad_id: str | None
    ad_name: str | None
    recommendation: Recommendation
    rule: int = Field(description="The rule that decided (rastro.analytics.insights.rules)")
    spend: Decimal
    leads: float
    won: float
    revenue: Decimal
    hook_rate: float | None
    cpl: Decimal | None
    sale_rate: float | None = Field(description="Won / leads")
    sale_rate_low: float | None = Field(description="95 % Wilson interval of the sale rate")
    sale_rate_high: float | None
    hooks_well: bool = Field(description="Hook rate at or above the account's")
    since: date | None = Field(description="First day of the daily history's run of it")


class CreativeInsights(BaseModel):
    range: ReportRange
    rules_version: int
    baseline_sale_rate: float | None
    baseline_cpl: Decimal | None
    baseline_hook_rate: float | None
    rows: list[CreativeInsightRow]


class InsightHistoryEntry(BaseModel):
    day: date
    recommendation: Recommendation
    rule: int
    figures: dict[str, Any]
