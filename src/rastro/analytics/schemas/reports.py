"""The analytics module's shapes: campaign, channel, offline-conversion and landing-page reports."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from rastro.analytics.schemas.common import Money, ReportRange
from rastro.analytics.schemas.profit import ProfitFigures

# --- campaign, channel, offline-conversion and landing-page reports ----------------------

CampaignGrouping = Literal["campaign", "source", "medium", "source_medium", "content", "term"]
COST_NOTE = "Why cost, CPL, CPA, ROAS and ROI are empty (`no_spend_data`), or null"


class Figures(BaseModel):
    """One row's figures in a period (revenue in the organization's currency)."""

    sessions: int
    leads: int
    qualified: int
    won: int = Field(description="Won deals (offline conversions) closed in the period")
    revenue: Decimal = Field(description="Won revenue in the organization's currency")
    other_revenue: list[Money] = Field(
        description="Won revenue in other currencies, per currency (never added to `revenue`)"
    )
    conversion_rate: float | None = Field(description="Leads per session")
    qualification_rate: float | None = Field(description="Qualified leads per lead")
    win_rate: float | None = Field(description="Won deals per lead")
    average_score: float | None = Field(description="A=4 … D=1")
    average_time_to_conversion: float | None = Field(description="Seconds, first touch → lead")
    average_sales_cycle: float | None = Field(description="Seconds, lead → won")
    cost: Decimal | None = Field(description="Ad spend; null until spend is imported")
    cpl: Decimal | None = Field(description="Cost per lead")
    cpa: Decimal | None = Field(description="Cost per won deal")
    roas: float | None = Field(description="Revenue / cost")
    roi: float | None = Field(description="(Revenue - cost) / cost")
    cost_note: str | None = Field(description=COST_NOTE)
    profit: ProfitFigures | None = Field(
        None, description="Profit and its formula's terms (null: spend cannot be filtered)"
    )


class CampaignRow(BaseModel):
    """A campaign / source / medium / content / term: the grouped dimensions are set (a
    null among them is visits without that parameter), the others are null."""

    campaign: str | None = None
    source: str | None = None
    medium: str | None = None
    content: str | None = None
    term: str | None = None
    current: Figures
    previous: Figures | None = Field(description="The compared period's figures, when compared")


class CampaignReport(BaseModel):
    range: ReportRange
    group_by: CampaignGrouping
    dimensions: list[str] = Field(description="The row fields that identify a row")
    rows: list[CampaignRow]
    totals: Figures
    previous_totals: Figures | None
    other_currencies: list[str] = Field(
        description="Currencies of won revenue other than the organization's (per row in "
        "`other_revenue`, never summed)"
    )
    cost_note: str | None = Field(description=COST_NOTE)


class ChannelRow(BaseModel):
    channel: str
    current: Figures
    previous: Figures | None


class ChannelReport(BaseModel):
    """ROI per channel (seed 001 query 4) with real cost only: empty until spend exists."""

    range: ReportRange
    rows: list[ChannelRow]
    totals: Figures
    previous_totals: Figures | None
    other_currencies: list[str]
    cost_note: str | None = Field(description=COST_NOTE)


class OfflineFigures(BaseModel):
    leads: int = Field(description="Leads created in the period")
    won: int = Field(description="Won deals (offline conversions) closed in the period")
    sale_rate: float | None = Field(description="Lead → sale: won deals per lead")
    revenue: Decimal = Field(description="In the organization's currency")
    other_revenue: list[Money]
    average_value: Decimal | None = Field(
        description="Revenue per won deal in the organization's currency (deals in other "
        "currencies left out of it)"
    )
    average_sales_cycle: float | None = Field(description="Seconds, lead → won")


class OfflineRow(BaseModel):
    key: str | None = Field(description="The source or channel (null: no source)")
    current: OfflineFigures
    previous: OfflineFigures | None


class OfflineConversionReport(BaseModel):
    """Seed 000 `offline_conversion_metrics`: lead → sale per source and per channel."""

    range: ReportRange
    by_source: list[OfflineRow]
    by_channel: list[OfflineRow]
    totals: OfflineFigures
    previous_totals: OfflineFigures | None
    other_currencies: list[str]


class FunnelFigures(BaseModel):
    """Seed 001 query 2's funnel of sessions that began on a landing page."""

    visitors: int = Field(description="Distinct visitors whose session began on the page")
    sessions: int = Field(description="Sessions that began on the page (the funnel's start)")
    form_starts: int = Field(description="Of those sessions, the ones with a `form_start`")
    leads: int = Field(description="Leads captured on the page, created in the period")
    qualified: int = Field(description="Of the page's leads, qualified in the period")
    won: int = Field(description="Of the page's leads, won in the period")
    revenue: Decimal = Field(description="In the organization's currency")
    form_start_rate: float | None = Field(description="Form starts per session")
    form_completion_rate: float | None = Field(description="Leads per form start")
    conversion_rate: float | None = Field(description="Leads per session")
    qualification_rate: float | None = Field(description="Qualified per lead")
    close_rate: float | None = Field(description="Won per qualified")


class LandingPageRow(BaseModel):
    page_id: uuid.UUID
    domain_id: uuid.UUID
    name: str
    url: str
    variant: str | None
    is_control: bool
    ab_test_id: uuid.UUID | None
    is_active: bool
    current: FunnelFigures
    previous: FunnelFigures | None


class LandingPageReport(BaseModel):
    range: ReportRange
    rows: list[LandingPageRow]
    unregistered: FunnelFigures = Field(
        description="Sessions and leads that did not begin on a registered landing page"
    )
    other_currencies: list[str]
