"""An A/B test's figures on its three metrics: leads, won deals and revenue per visitor.

Each variant other than the control is compared with the control: conversion rates of
leads and of won deals (`proportions`), revenue per visitor (`means`, Welch). One
sample-ratio check covers the whole test (`sample_ratio`); each metric gets a verdict per
variant and one for the test (`verdict` states the rule). The test's verdict on a metric:
`srm_warning` if the split is broken; else `variant_wins` if some variant wins (the winner
is the winning variant with the best figure); else `control_wins` if the control beats every
variant; else `collecting_data` if any comparison still collects data; else
`no_difference_yet`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from rastro.analytics.stats.means import MeanComparison, RevenueSample, compare_means
from rastro.analytics.stats.proportions import (
    Proportion,
    ProportionComparison,
    compare_proportions,
)
from rastro.analytics.stats.sample_ratio import SampleRatioCheck, check_sample_ratio
from rastro.analytics.stats.verdict import (
    DecisionRule,
    Verdict,
    VerdictCode,
    VerdictReason,
    decide,
    planned_visitors_for_mean,
    planned_visitors_for_rate,
)


class Metric(enum.StrEnum):
    """What a test is judged on."""

    LEADS = "leads"
    WON_DEALS = "won_deals"
    REVENUE = "revenue"


@dataclass(frozen=True)
class Arm:
    """One variant's counts: visitors, visitors who became leads or won a deal, revenue."""

    key: str
    is_control: bool
    weight: float
    visitors: int
    leads: int
    won_deals: int
    revenue: RevenueSample = field(default_factory=lambda: RevenueSample(0, 0.0, 0.0))


@dataclass(frozen=True)
class VariantResult:
    """One variant against the control on one metric."""

    key: str
    comparison: ProportionComparison | MeanComparison
    verdict: Verdict


@dataclass(frozen=True)
class MetricResult:
    """A metric's comparisons and the test's verdict on it."""

    metric: Metric
    variants: tuple[VariantResult, ...]
    verdict: Verdict
    winner: str | None


@dataclass(frozen=True)
class AbTestResult:
    """The sample-ratio check and the three metrics of a test."""

    control: str | None
    sample_ratio: SampleRatioCheck
    metrics: tuple[MetricResult, ...]


def _compare(
    metric: Metric, control: Arm, variant: Arm
) -> tuple[ProportionComparison | MeanComparison, float | None, float | None]:
    """(comparison, p-value, difference) of a variant against the control on a metric."""
    if metric is Metric.REVENUE:
        means = compare_means(control.revenue, variant.revenue)
        return means, means.p_value, means.absolute_lift
    rates = compare_proportions(
        Proportion(control.visitors, _conversions(metric, control)),
        Proportion(variant.visitors, _conversions(metric, variant)),
    )
    return rates, rates.p_value, rates.absolute_lift


def _conversions(metric: Metric, arm: Arm) -> int:
    """Leads for the leads metric, won deals for won deals and revenue."""
    return arm.leads if metric is Metric.LEADS else arm.won_deals


def _planned(metric: Metric, control: Arm, rule: DecisionRule, alpha: float) -> int | None:
    effect = rule.minimum_detectable_effect
    if metric is Metric.REVENUE:
        return planned_visitors_for_mean(
            control.revenue.mean,
            control.revenue.variance,
            alpha=alpha,
            minimum_detectable_effect=effect,
        )
    rate = _conversions(metric, control) / control.visitors if control.visitors else None
    return planned_visitors_for_rate(rate, alpha=alpha, minimum_detectable_effect=effect)


def _figure(comparison: ProportionComparison | MeanComparison) -> float:
    if isinstance(comparison, MeanComparison):
        return comparison.variant_mean or 0.0
    return comparison.variant_rate or 0.0


def _judge_metric(
    metric: Metric,
    control: Arm | None,
    variants: Sequence[Arm],
    sample_ratio: SampleRatioCheck,
    rule: DecisionRule,
) -> MetricResult:
    comparisons = max(1, len(variants))
    alpha = rule.alpha / comparisons
    if control is None or not variants:
        reason = VerdictReason.NO_CONTROL if control is None else VerdictReason.SINGLE_VARIANT
        empty = Verdict(VerdictCode.COLLECTING_DATA, reason, None, alpha)
        return MetricResult(metric, (), empty, None)
    planned = _planned(metric, control, rule, alpha)
    results = []
    for variant in variants:
        comparison, p_value, difference = _compare(metric, control, variant)
        verdict = decide(
            visitors=(control.visitors, variant.visitors),
            conversions=(_conversions(metric, control), _conversions(metric, variant)),
            planned_visitors=planned,
            p_value=p_value,
            difference=difference,
            sample_ratio_mismatch=sample_ratio.mismatch,
            rule=rule,
            comparisons=comparisons,
        )
        results.append(VariantResult(variant.key, comparison, verdict))
    codes = [result.verdict.code for result in results]
    winners = [result for result in results if result.verdict.code is VerdictCode.VARIANT_WINS]
    if winners:
        best = max(winners, key=lambda result: _figure(result.comparison))
        return MetricResult(metric, tuple(results), best.verdict, best.key)
    if all(code is VerdictCode.CONTROL_WINS for code in codes):
        return MetricResult(metric, tuple(results), results[0].verdict, control.key)
    for code in (VerdictCode.SRM_WARNING, VerdictCode.COLLECTING_DATA):
        if code in codes:
            overall = next(result.verdict for result in results if result.verdict.code is code)
            return MetricResult(metric, tuple(results), overall, None)
    overall = next(
        result.verdict for result in results if result.verdict.code is VerdictCode.NO_DIFFERENCE_YET
    )
    return MetricResult(metric, tuple(results), overall, None)


def judge_ab_test(arms: Sequence[Arm], *, rule: DecisionRule | None = None) -> AbTestResult:
    """Every figure and verdict of a test; the first arm marked as control is the control."""
    rule = rule or DecisionRule()
    control = next((arm for arm in arms if arm.is_control), None)
    variants = [arm for arm in arms if arm is not control]
    sample_ratio = check_sample_ratio([arm.visitors for arm in arms], [arm.weight for arm in arms])
    if control is None:
        variants = []
    metrics = tuple(
        _judge_metric(metric, control, variants, sample_ratio, rule) for metric in Metric
    )
    return AbTestResult(control.key if control else None, sample_ratio, metrics)
