"""The analytics module's shapes: a/B test results."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

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
