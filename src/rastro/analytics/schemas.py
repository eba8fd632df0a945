"""The analytics module's request and response shapes (no ORM imports)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

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
        description="Complete hours come from the rollups up to here; later minutes are "
        "counted from the raw rows."
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
    leads: int
    qualified: int
    won: int
    revenue: Decimal = Field(description="In the organization's currency")
    conversion_rate: float | None
    win_rate: float | None


class Overview(BaseModel):
    range: ReportRange
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
    hours_rewritten: int | None


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
