"""Pure A/B-test statistics (no database, `math` only): rates, revenue, split check, verdict."""

from rastro.analytics.stats.ab_test import (
    AbTestResult,
    Arm,
    Metric,
    MetricResult,
    VariantResult,
    judge_ab_test,
)
from rastro.analytics.stats.means import MeanComparison, RevenueSample, compare_means
from rastro.analytics.stats.proportions import Proportion, ProportionComparison, compare_proportions
from rastro.analytics.stats.sample_ratio import SampleRatioCheck, check_sample_ratio
from rastro.analytics.stats.verdict import DecisionRule, Verdict, VerdictCode, VerdictReason

__all__ = [
    "AbTestResult",
    "Arm",
    "DecisionRule",
    "MeanComparison",
    "Metric",
    "MetricResult",
    "Proportion",
    "ProportionComparison",
    "RevenueSample",
    "SampleRatioCheck",
    "VariantResult",
    "Verdict",
    "VerdictCode",
    "VerdictReason",
    "check_sample_ratio",
    "compare_means",
    "compare_proportions",
    "judge_ab_test",
]
