"""The A/B verdict rule (rastro.analytics.stats.verdict), edge cases that must give None rather
than NaN, and properties of the figures over random inputs."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rastro.analytics.stats import (
    Arm,
    DecisionRule,
    Metric,
    Proportion,
    RevenueSample,
    VerdictCode,
    VerdictReason,
    check_sample_ratio,
    compare_means,
    compare_proportions,
    judge_ab_test,
)
from rastro.analytics.stats.proportions import probability_to_beat
from rastro.analytics.stats.verdict import decide

RULE = DecisionRule()


def _decide(**overrides: Any) -> VerdictCode:
    arguments: dict[str, Any] = {
        "visitors": (10_000, 10_000),
        "conversions": (500, 600),
        "planned_visitors": 8000,
        "p_value": 0.001,
        "difference": 0.01,
        "sample_ratio_mismatch": False,
        "rule": RULE,
    }
    return decide(**{**arguments, **overrides}).code


def test_verdict_rule() -> None:
    assert _decide() is VerdictCode.VARIANT_WINS
    assert _decide(difference=-0.01) is VerdictCode.CONTROL_WINS
    assert _decide(p_value=0.2) is VerdictCode.NO_DIFFERENCE_YET
    assert _decide(p_value=None) is VerdictCode.NO_DIFFERENCE_YET
    assert _decide(sample_ratio_mismatch=True) is VerdictCode.SRM_WARNING
    # A significant p-value before the planned sample size is peeking, not a winner.
    assert _decide(visitors=(7999, 10_000)) is VerdictCode.COLLECTING_DATA
    assert _decide(visitors=(99, 99), planned_visitors=50) is VerdictCode.COLLECTING_DATA
    assert _decide(conversions=(9, 600)) is VerdictCode.COLLECTING_DATA
    assert _decide(planned_visitors=None) is VerdictCode.COLLECTING_DATA
    # Bonferroni: p = 0.02 wins alone, not among three variants (alpha = 0.05 / 3).
    assert _decide(p_value=0.02) is VerdictCode.VARIANT_WINS
    assert _decide(p_value=0.02, comparisons=3) is VerdictCode.NO_DIFFERENCE_YET


def _arm(key: str, visitors: int, leads: int, *, control: bool = False, weight: float = 1) -> Arm:
    won = leads // 5
    return Arm(
        key,
        control,
        weight,
        visitors,
        leads,
        won,
        RevenueSample(visitors, won * 100.0, won * 12_000.0),
    )


def test_judge_calls_a_winner_only_with_enough_data() -> None:
    early = judge_ab_test([_arm("a", 300, 15, control=True), _arm("b", 300, 30)])
    leads = early.metrics[0]
    assert leads.metric is Metric.LEADS
    # p < 0.05 already, but far below the planned sample size.
    variant = leads.variants[0]
    assert variant.comparison.p_value is not None
    assert variant.comparison.p_value < 0.05
    assert leads.verdict.code is VerdictCode.COLLECTING_DATA
    assert leads.verdict.reason is VerdictReason.BELOW_PLANNED_SAMPLE

    late = judge_ab_test([_arm("a", 20_000, 1000, control=True), _arm("b", 20_000, 1250)])
    assert late.metrics[0].verdict.code is VerdictCode.VARIANT_WINS
    assert late.metrics[0].winner == "b"
    assert late.control == "a"


def test_judge_names_the_best_of_several_winners_and_control_wins() -> None:
    result = judge_ab_test(
        [
            _arm("a", 30_000, 1500, control=True),
            _arm("b", 30_000, 1800),
            _arm("c", 30_000, 2000),
        ]
    )
    assert result.metrics[0].winner == "c"
    losing = judge_ab_test([_arm("a", 30_000, 1500, control=True), _arm("b", 30_000, 1100)])
    assert losing.metrics[0].verdict.code is VerdictCode.CONTROL_WINS
    assert losing.metrics[0].winner == "a"


def test_judge_sample_ratio_mismatch_overrides_everything() -> None:
    result = judge_ab_test([_arm("a", 20_000, 1000, control=True), _arm("b", 23_000, 1500)])
    assert result.sample_ratio.mismatch
    assert {metric.verdict.code for metric in result.metrics} == {VerdictCode.SRM_WARNING}


# ---------------------------------------------------------------------------------------------
# edge cases: never an exception, NaN or infinity


def _numbers(value: Any) -> list[float]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            n for item in dataclasses.fields(value) for n in _numbers(getattr(value, item.name))
        ]
    if isinstance(value, tuple | list):
        return [n for item in value for n in _numbers(item)]
    if isinstance(value, float):
        return [value]
    return []


@pytest.mark.parametrize(
    "arms",
    [
        [],
        [_arm("a", 0, 0, control=True)],
        [_arm("a", 500, 20, control=True)],
        [_arm("a", 0, 0, control=True), _arm("b", 0, 0)],
        [_arm("a", 200, 0, control=True), _arm("b", 200, 0)],
        [_arm("a", 200, 200, control=True), _arm("b", 200, 200)],
        [_arm("a", 200, 200, control=True), _arm("b", 200, 0)],
        [_arm("a", 1, 1, control=True), _arm("b", 1, 0)],
        [_arm("a", 100, 5), _arm("b", 100, 8)],
    ],
)
def test_edge_cases_give_none_not_nan(arms: list[Arm]) -> None:
    result = judge_ab_test(arms)
    assert all(math.isfinite(number) for number in _numbers(result))
    for metric in result.metrics:
        assert metric.verdict.code in {VerdictCode.COLLECTING_DATA, VerdictCode.NO_DIFFERENCE_YET}


def test_edge_case_figures() -> None:
    empty = compare_proportions(Proportion(0, 0), Proportion(0, 0))
    assert empty.p_value is None
    assert empty.ci_low is None
    assert empty.probability_to_beat_control is None
    no_conversions = compare_proportions(Proportion(200, 0), Proportion(200, 0))
    assert no_conversions.p_value is None  # pooled standard error 0
    assert no_conversions.relative_lift is None
    assert (no_conversions.ci_low, no_conversions.ci_high) == (0.0, 0.0)
    assert no_conversions.probability_to_beat_control == pytest.approx(0.5)
    everyone = compare_proportions(Proportion(200, 200), Proportion(200, 200))
    assert everyone.p_value is None
    assert everyone.relative_lift == 0.0
    assert compare_means(RevenueSample(1, 5.0, 25.0), RevenueSample(10, 0.0, 0.0)).p_value is None
    assert compare_means(RevenueSample(10, 0.0, 0.0), RevenueSample(10, 0.0, 0.0)).p_value is None
    single = judge_ab_test([_arm("a", 500, 20, control=True)])
    assert single.metrics[0].verdict.reason is VerdictReason.SINGLE_VARIANT
    no_control = judge_ab_test([_arm("a", 100, 5), _arm("b", 100, 8)])
    assert no_control.metrics[0].verdict.reason is VerdictReason.NO_CONTROL


def test_counts_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError):
        Proportion(10, 11)
    with pytest.raises(ValueError):
        Proportion(-1, 0)


# ---------------------------------------------------------------------------------------------
# properties

counts = st.integers(min_value=0, max_value=5000).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(min_value=0, max_value=n))
)


@given(counts, counts)
def test_rate_figures_are_probabilities_and_the_interval_holds_the_difference(
    control: tuple[int, int], variant: tuple[int, int]
) -> None:
    figures = compare_proportions(Proportion(*control), Proportion(*variant))
    assert all(math.isfinite(number) for number in _numbers(figures))
    if figures.p_value is not None:
        assert 0.0 <= figures.p_value <= 1.0
    if figures.absolute_lift is not None:
        assert figures.ci_low is not None
        assert figures.ci_high is not None
        assert figures.ci_low <= figures.absolute_lift <= figures.ci_high
    swapped = compare_proportions(Proportion(*variant), Proportion(*control))
    assert swapped.p_value == figures.p_value


@given(counts, counts)
def test_probabilities_to_beat_sum_to_one(
    control: tuple[int, int], variant: tuple[int, int]
) -> None:
    forward = probability_to_beat(Proportion(*control), Proportion(*variant))
    backward = probability_to_beat(Proportion(*variant), Proportion(*control))
    if forward is None or backward is None:
        assert control[0] == 0 or variant[0] == 0
        return
    assert 0.0 <= forward <= 1.0
    # Each side sums up to thousands of log-space terms: rounding reaches ~1e-12.
    assert forward + backward == pytest.approx(1.0, abs=1e-9)
    if control == variant:
        assert forward == pytest.approx(0.5, abs=1e-12)


@given(st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=5), st.data())
def test_sample_ratio_p_is_a_probability(visitors: list[int], data: st.DataObject) -> None:
    weights = data.draw(st.lists(st.integers(0, 5), min_size=len(visitors), max_size=len(visitors)))
    check = check_sample_ratio(visitors, weights)
    if check.p_value is not None:
        assert 0.0 <= check.p_value <= 1.0
    assert check.chi_square is None or math.isfinite(check.chi_square)


revenue = st.integers(min_value=0, max_value=3000).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.floats(0, 1e6, allow_nan=False), min_size=min(n, 20), max_size=min(n, 20)),
    )
)


@given(revenue, revenue)
def test_welch_p_is_a_probability(
    control: tuple[int, list[float]], variant: tuple[int, list[float]]
) -> None:
    def sample(arm: tuple[int, list[float]]) -> RevenueSample:
        # n visitors, the first few with these amounts, the rest with nothing.
        return RevenueSample(arm[0], math.fsum(arm[1]), math.fsum(x * x for x in arm[1]))

    figures = compare_means(sample(control), sample(variant))
    assert all(math.isfinite(number) for number in _numbers(figures))
    if figures.p_value is not None:
        assert 0.0 <= figures.p_value <= 1.0
