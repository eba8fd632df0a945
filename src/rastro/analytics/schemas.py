"""The analytics module's request and response shapes (no ORM imports)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from rastro.analytics.attribution import ModelName
from rastro.tracking.channels import CHANNELS

Preset = Literal[
    "today",
    "yesterday",
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "this_month",
    "last_month",
    "last_12_months",
]
Compare = Literal["none", "previous", "year"]
Device = Literal["desktop", "mobile", "tablet"]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
FilterText = Annotated[str, StringConstraints(min_length=1, max_length=255)]

MAX_RANGE_DAYS = 731  # two years


class ReportFilters(BaseModel):
    """What every report is filtered by: a date range in the organization's days (a preset,
    or `date_from`/`date_to`; the last 30 days when neither is given), a comparison, and
    the dimensions of a visit."""

    preset: Preset | None = None
    date_from: date | None = None
    date_to: date | None = None
    compare: Compare = "none"
    domain_id: uuid.UUID | None = None
    landing_page_id: uuid.UUID | None = None
    channel: Channel | None = None
    source: FilterText | None = None
    medium: FilterText | None = None
    campaign: FilterText | None = None
    content: FilterText | None = None
    term: FilterText | None = None
    device: Device | None = None


class Period(BaseModel):
    date_from: date
    date_to: date
    start: datetime  # UTC instant of date_from's midnight in the organization's timezone
    end: datetime  # UTC instant of the midnight after date_to


class ReportRange(BaseModel):
    """The period a report covers, the compared one, and how fresh the rollups are."""

    current: Period
    previous: Period | None
    timezone: str
    currency: str
    data_through: datetime | None = Field(
        description="Moments before this come from the rollups; later ones are counted "
        "from the raw rows (null: read from the raw rows)."
    )


class Money(BaseModel):
    currency: str
    amount: Decimal


class Totals(BaseModel):
    visitors: int
    sessions: int
    new_sessions: int
    bounce_rate: float | None
    pages_per_session: float | None
    leads: int
    qualified: int
    won: int
    revenue: list[Money] = Field(description="Won revenue per currency, never summed across")
    conversion_rate: float | None = Field(description="Leads per session")
    qualification_rate: float | None = Field(description="Qualified leads per lead")
    win_rate: float | None = Field(description="Won deals per lead")
    average_score: float | None = Field(description="A=4 … D=1")
    average_time_to_conversion: float | None = Field(description="Seconds, first touch → lead")
    average_sales_cycle: float | None = Field(description="Seconds, lead → won")
    cost: Decimal | None = Field(description="Ad spend; null until spend is imported")
    roas: float | None = Field(description="Revenue / cost in the organization's currency")


class SeriesPoint(BaseModel):
    date: date
    visitors: int
    sessions: int
    leads: int
    qualified: int
    won: int
    revenue: Decimal = Field(description="In the organization's currency")


class BreakdownRow(BaseModel):
    key: str | None
    label: str | None = None
    sessions: int
    leads: float = Field(
        description="Leads credited to the key: whole leads by their credited touch, or "
        "fractions under the Overview's attribution model"
    )
    qualified: int
    won: float = Field(description="Won deals credited to the key (as `leads`)")
    revenue: Decimal = Field(description="In the organization's currency")
    conversion_rate: float | None
    win_rate: float | None


class Overview(BaseModel):
    range: ReportRange
    attribution_model: ModelName = Field(
        default="last_touch",
        description="The attribution model that credited the channel and campaign tables' "
        "leads, won deals and revenue (the organization's `overview_model` setting)",
    )
    totals: Totals
    previous: Totals | None
    series: list[SeriesPoint]
    previous_series: list[SeriesPoint] | None
    by_channel: list[BreakdownRow]
    by_campaign: list[BreakdownRow]
    live_visitors: int
    other_currencies: list[str] = Field(
        description="Currencies of won revenue other than the organization's: left out of "
        "the series and tables, shown per currency in the totals"
    )
    cost_note: str | None = Field(
        description="Why cost and ROAS are empty (`no_spend_data`), or null"
    )


class RefreshOut(BaseModel):
    through: datetime
    full: bool
    days_rewritten: int | None


# --- A/B tests ---------------------------------------------------------------------------------

VerdictCode = Literal[
    "collecting_data", "no_difference_yet", "variant_wins", "control_wins", "srm_warning"
]
VerdictReason = Literal[
    "sample_ratio_mismatch",
    "no_control",
    "single_variant",
    "too_few_visitors",
    "too_few_conversions",
    "no_baseline",
    "below_planned_sample",
    "not_significant",
    "significant",
]


class AbVerdict(BaseModel):
    """What the figures say, as a code the dashboard puts in words, and why."""

    code: VerdictCode
    reason: VerdictReason
    planned_visitors: int | None = Field(
        description="Visitors per variant needed to detect the minimum effect with 80 % power"
    )
    alpha: float = Field(description="Significance level applied (0.05 / variants compared)")


class AbDecisionRule(BaseModel):
    """The thresholds the verdicts use (see `rastro.analytics.stats.verdict`)."""

    min_visitors: int
    min_conversions: int
    minimum_detectable_effect: float = Field(description="Relative change of the control")
    alpha: float
    power: float


class AbVariantCounts(BaseModel):
    """A variant's visitors and what they did (each visitor counted once)."""

    page_id: uuid.UUID
    page_name: str
    page_variant: str | None
    is_control: bool
    weight: int
    visitors: int
    leads: int = Field(description="Visitors who became a lead after entering the test")
    won: int = Field(description="Visitors with a won deal from such a lead")
    revenue: Decimal = Field(description="Won revenue, in the organization's currency")
    lead_rate: float | None
    win_rate: float | None = Field(description="Visitors with a won deal per visitor")
    revenue_per_visitor: float | None


class AbRateComparison(BaseModel):
    """A variant's conversion rate against the control's: two-proportion z-test (pooled
    standard error, two-sided), 95 % Wald interval of the difference (unpooled), lift, and
    the exact probability to beat the control with Beta(1, 1) priors."""

    page_id: uuid.UUID
    control_rate: float | None
    variant_rate: float | None
    absolute_lift: float | None
    relative_lift: float | None
    z: float | None
    p_value: float | None
    ci_low: float | None
    ci_high: float | None
    probability_to_beat_control: float | None
    verdict: AbVerdict


class AbRevenueComparison(BaseModel):
    """A variant's revenue per visitor against the control's: Welch's t-test, two-sided."""

    page_id: uuid.UUID
    control_mean: float | None
    variant_mean: float | None
    absolute_lift: float | None
    relative_lift: float | None
    t: float | None
    degrees_of_freedom: float | None
    p_value: float | None
    verdict: AbVerdict


class AbRateMetric(BaseModel):
    verdict: AbVerdict
    winner_page_id: uuid.UUID | None
    comparisons: list[AbRateComparison]


class AbRevenueMetric(BaseModel):
    verdict: AbVerdict
    winner_page_id: uuid.UUID | None
    comparisons: list[AbRevenueComparison]


class AbSampleRatio(BaseModel):
    """Chi-square check of the visitors per variant against the weights (warning: p < 0.001)."""

    chi_square: float | None
    degrees_of_freedom: int | None
    p_value: float | None
    mismatch: bool


class AbSeriesPoint(BaseModel):
    """One variant's day: visitors entering the test, visitors converting (first lead, first
    won deal) and won revenue (organization's currency)."""

    date: date
    page_id: uuid.UUID
    visitors: int
    leads: int
    won: int
    revenue: Decimal


class AbTestPeriod(BaseModel):
    date_from: date
    date_to: date
    timezone: str
    currency: str
    data_through: datetime | None


class AbTestSummary(BaseModel):
    """A test in the list: its variants' totals and its verdict on leads."""

    ab_test_id: uuid.UUID
    name: str
    domain_id: uuid.UUID
    is_active: bool
    created_at: datetime
    variants: int
    visitors: int
    leads: int
    verdict: AbVerdict = Field(description="The verdict on leads")
    winner_page_id: uuid.UUID | None
    sample_ratio_mismatch: bool


class AbTestReport(BaseModel):
    """Every figure of a test, judged on leads, on won deals and on revenue per visitor."""

    ab_test_id: uuid.UUID
    name: str
    domain_id: uuid.UUID
    is_active: bool
    created_at: datetime
    period: AbTestPeriod
    rule: AbDecisionRule
    variants: list[AbVariantCounts]
    sample_ratio: AbSampleRatio
    leads: AbRateMetric
    won: AbRateMetric
    revenue: AbRevenueMetric
    series: list[AbSeriesPoint]


# --- New vs returning visitors, behaviour, journeys, cohorts -------------------------

VisitorSegmentName = Literal["new", "returning", "frequent"]


class VisitorSegment(BaseModel):
    segment: VisitorSegmentName = Field(
        description="new: 1 session in the period; returning: 2-3; frequent: 4 or more"
    )
    visitors: int
    sessions: int
    page_views: int
    pages_per_visitor: float | None
    sessions_per_visitor: float | None
    converted_visitors: int = Field(description="Visitors carried by a lead created in the period")
    conversion_rate: float | None = Field(description="Converted visitors per visitor")


class DomainVisitorSegments(BaseModel):
    domain_id: uuid.UUID
    segments: list[VisitorSegment]


class ReturningVisitors(BaseModel):
    range: ReportRange
    sessions_counted: Literal["period"] = Field(
        description="A visitor's sessions are counted within the period and filters"
    )
    segments: list[VisitorSegment] = Field(description="All domains; always the three segments")
    by_domain: list[DomainVisitorSegments]


class EventTypeRow(BaseModel):
    event_type: str
    events: int
    per_session: float | None


class PathRow(BaseModel):
    path: str = Field(description="The page URL's path (no host, query or fragment)")
    views: int
    entries: int = Field(description="Sessions whose first page view was this path")
    exits: int = Field(description="Sessions whose last page view was this path")
    exit_rate: float | None = Field(description="Exits per view")


class Behavior(BaseModel):
    range: ReportRange
    sessions: int
    page_views: int
    events: int
    pages_per_session: float | None
    events_per_session: float | None
    bounce_rate: float | None
    average_duration: float | None = Field(description="Seconds per session")
    events_by_type: list[EventTypeRow]
    top_paths: list[PathRow] = Field(description="Most viewed paths")
    top_entry_paths: list[PathRow] = Field(description="Paths most sessions started on")
    top_exit_paths: list[PathRow] = Field(description="Paths most sessions ended on")


ConversionKind = Literal["lead", "won"]


class JourneyPath(BaseModel):
    channels: list[str] = Field(description="Consecutive repeats collapsed")
    label: str = Field(description='"Paid Social > Organic Search > Direct"')
    conversions: int
    share: float | None = Field(description="Of the conversions with a touch")
    revenue: Decimal = Field(description="Won revenue, organization's currency")
    average_touches: float
    average_time_to_convert: float = Field(description="Seconds, first touch → conversion")


class FlowNode(BaseModel):
    step: int | None = Field(description="1-based step; null for the conversion node")
    name: str = Field(description="A channel, or `lead`/`won` for the conversion node")


class FlowLink(BaseModel):
    source: int = Field(description="Index in `nodes`")
    target: int = Field(description="Index in `nodes`")
    value: int = Field(description="Conversions whose path takes this link")


class JourneyFlow(BaseModel):
    max_steps: int
    truncated_paths: int = Field(description="Paths longer than max_steps (shown cut)")
    nodes: list[FlowNode]
    links: list[FlowLink]


class Journeys(BaseModel):
    range: ReportRange
    conversion: ConversionKind
    lookback_days: int
    conversions: int
    with_touches: int
    without_touches: int = Field(description="Conversions without a touch in the lookback")
    distinct_paths: int
    revenue: Decimal
    average_touches: float | None
    average_time_to_convert: float | None = Field(description="Seconds")
    other_currencies: list[str]
    paths: list[JourneyPath]
    flow: JourneyFlow


CohortPeriod = Literal["month", "week"]
CohortKey = Literal["none", "channel", "campaign"]


class LtvPoint(BaseModel):
    age: int = Field(description="Months (weeks) since the cohort's start")
    revenue: Decimal = Field(description="Cumulative won revenue")
    customers: int = Field(description="Cumulative customers")
    revenue_per_lead: float | None
    revenue_per_customer: float | None


class CohortRow(BaseModel):
    start: date = Field(description="First day of the cohort's month (week, Monday)")
    key: str | None = Field(description="First-touch channel or campaign (by≠none)")
    leads: int
    won: int
    customers: int = Field(description="Distinct contacts with a won lead")
    repeat_customers: int = Field(description="Contacts with more than one won lead")
    revenue: Decimal
    revenue_per_lead: float | None
    revenue_per_customer: float | None
    ltv: list[LtvPoint]
    cac: Decimal | None = Field(description="Null until ad spend exists (cac_note)")
    payback_periods: float | None = Field(description="Null until ad spend exists")


class Cohorts(BaseModel):
    range: ReportRange
    period: CohortPeriod
    by: CohortKey
    cohort_basis: Literal["first_touch"] = Field(
        description="First touch of the lead's visitors, or the lead's creation without one"
    )
    cohorts: list[CohortRow]
    other_currencies: list[str]
    cac_note: str | None = Field(description="`no_spend_data` until ad spend is imported")


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


# Attribution (issue 17 part 3): the models are in rastro.analytics.attribution.

AttributionLevel = Literal["channel", "source", "campaign", "content"]
LookbackDays = Annotated[int, Field(ge=1, le=365)]
HalfLifeDays = Annotated[float, Field(gt=0, le=365)]


class AnalyticsSettingsIn(BaseModel):
    """An organization's analytics settings."""

    overview_model: ModelName = Field(
        default="last_touch", description="The attribution model the Overview credits with"
    )
    lookback_days: LookbackDays = Field(
        default=90, description="Touches this many days before a conversion count (1-365)"
    )
    half_life_days: HalfLifeDays = Field(default=7.0, description="Time decay's half-life in days")


class AnalyticsSettingsOut(AnalyticsSettingsIn):
    updated_at: datetime | None = Field(description="Null while the defaults apply")


class AttributionRow(BaseModel):
    key: str = Field(
        description='The channel, source, campaign or content; "(none)" when '
        'the touch had none, "(untracked)" for conversions without any touch'
    )
    conversions: float
    revenue: Decimal = Field(description="In the organization's currency, rounded to cents")
    share: float | None = Field(description="Of the credited conversions; null when none")


class AttributionJourneys(BaseModel):
    converting: int = Field(description="Conversions in the range")
    untracked: int = Field(description="Of them, without any touch within the lookback")
    non_converting: int = Field(
        description="Visitors with touches in the range and no conversion (read by Markov)"
    )
    touches: int = Field(description="Touches of the converting journeys")


class AttributionReport(BaseModel):
    range: ReportRange
    model: ModelName
    definition: str = Field(description="The model's definition and source")
    level: AttributionLevel
    conversion: ConversionKind
    lookback_days: int
    half_life_days: float
    journeys: AttributionJourneys
    conversions: float = Field(description="Total credited conversions")
    revenue: Decimal = Field(description="Total credited revenue, organization's currency")
    rows: list[AttributionRow] = Field(description="Most credited first")
    other_currencies: list[str] = Field(
        description="Currencies of won revenue other than the organization's: those "
        "conversions are credited, their revenue left out (never converted or summed)"
    )


class ComparedCredit(BaseModel):
    conversions: float
    revenue: Decimal
    shift: float = Field(description="conversions minus last touch's for this key")
    shift_ratio: float | None = Field(
        description="shift / last touch's conversions; null when last touch credits none"
    )


class ComparisonRow(BaseModel):
    key: str
    credits: dict[ModelName, ComparedCredit]


class ModelInfo(BaseModel):
    name: ModelName
    definition: str


class AttributionComparison(BaseModel):
    range: ReportRange
    level: AttributionLevel
    conversion: ConversionKind
    lookback_days: int
    half_life_days: float
    models: list[ModelInfo]
    journeys: AttributionJourneys
    conversions: float
    revenue: Decimal
    rows: list[ComparisonRow] = Field(
        description="Most credited by last touch first, then by all models together"
    )
    other_currencies: list[str]
