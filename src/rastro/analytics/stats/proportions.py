"""Conversion rates of two variants: z-test, confidence interval, lift, Bayesian probability.

- Two-proportion z-test with the pooled standard error and no continuity correction
  (`statsmodels.stats.proportion.proportions_ztest`'s default), two-sided p-value.
- 95 % confidence interval of the difference variant − control, Wald with the unpooled
  standard error (`confint_proportions_2indep(method="wald")`).
- Lift: absolute (percentage points as a fraction) and relative to the control's rate.
- Probability that the variant's true rate beats the control's, with Beta(1, 1) priors,
  exactly: Evan Miller's closed form ("Formulas for Bayesian A/B Testing", 2014),
  P(p_B > p_A) = Σ_{i=0}^{α_B−1} B(α_A+i, β_A+β_B) / ((β_B+i) B(1+i, β_B) B(α_A, β_A)).

Undefined figures (no visitors, a zero standard error, a zero control rate for the relative
lift) are `None`, never NaN or infinity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rastro.analytics.stats.special import Z_95, log_beta, normal_two_sided_p


@dataclass(frozen=True)
class Proportion:
    """Visitors of a variant and how many of them converted."""

    visitors: int
    conversions: int

    def __post_init__(self) -> None:
        if self.visitors < 0 or not 0 <= self.conversions <= self.visitors:
            raise ValueError("conversions must be between 0 and the number of visitors")

    @property
    def rate(self) -> float | None:
        """Conversion rate, `None` without visitors."""
        return self.conversions / self.visitors if self.visitors else None


@dataclass(frozen=True)
class ProportionComparison:
    """A variant's conversion rate against the control's."""

    control_rate: float | None
    variant_rate: float | None
    absolute_lift: float | None
    relative_lift: float | None
    z: float | None
    p_value: float | None
    ci_low: float | None
    ci_high: float | None
    probability_to_beat_control: float | None


def two_proportion_z_test(control: Proportion, variant: Proportion) -> tuple[float, float] | None:
    """(z, two-sided p) of variant − control with the pooled standard error; None if undefined."""
    if not control.visitors or not variant.visitors:
        return None
    pooled = (control.conversions + variant.conversions) / (control.visitors + variant.visitors)
    variance = pooled * (1.0 - pooled) * (1.0 / control.visitors + 1.0 / variant.visitors)
    if variance <= 0.0:
        return None
    rates_difference = (
        variant.conversions / variant.visitors - control.conversions / control.visitors
    )
    z = rates_difference / math.sqrt(variance)
    return z, normal_two_sided_p(z)


def wald_interval(control: Proportion, variant: Proportion) -> tuple[float, float] | None:
    """95 % Wald interval (unpooled standard error) of variant − control; None if undefined."""
    if not control.visitors or not variant.visitors:
        return None
    control_rate = control.conversions / control.visitors
    variant_rate = variant.conversions / variant.visitors
    standard_error = math.sqrt(
        control_rate * (1.0 - control_rate) / control.visitors
        + variant_rate * (1.0 - variant_rate) / variant.visitors
    )
    difference = variant_rate - control_rate
    return difference - Z_95 * standard_error, difference + Z_95 * standard_error


def _beta_greater_sum(a1: int, b1: int, a2: int, b2: int) -> float:
    """P(X > Y) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2), a1 a positive integer: a1 terms.

    The terms t_i of Evan Miller's sum follow t_{i+1} = t_i (a2+i)(b1+i) / ((a2+b1+b2+i)(1+i)),
    summed in log space (a running maximum keeps them from underflowing). Past the largest
    term they decrease, so the sum stops once the remaining terms together are below 1e-17
    of it.
    """
    log_term = log_beta(a2, b1 + b2) - log_beta(a2, b2)
    log_max = log_term
    scaled_sum = 0.0
    for i in range(a1):
        if log_term > log_max:
            scaled_sum = scaled_sum * math.exp(log_max - log_term) + 1.0
            log_max = log_term
        else:
            scaled_sum += math.exp(log_term - log_max)
        ratio = (a2 + i) * (b1 + i) / ((a2 + b1 + b2 + i) * (1.0 + i))
        if ratio < 1.0 and (a1 - i - 1) * math.exp(log_term - log_max) < 1e-17 * scaled_sum:
            break
        log_term += math.log(ratio)
    return min(1.0, math.exp(log_max) * scaled_sum)


def probability_to_beat(control: Proportion, variant: Proportion) -> float | None:
    """P(variant's rate > control's rate) under Beta(1, 1) priors, exact; None without visitors.

    The sum has as many terms as its first shape parameter; the four equivalent forms
    (swapping the variants, or taking 1 − p for both rates) let it run over the smallest of
    the four shape parameters, so it costs O(min(conversions, non-conversions)) at most.
    """
    if not control.visitors or not variant.visitors:
        return None
    a_control, b_control = 1 + control.conversions, 1 + control.visitors - control.conversions
    a_variant, b_variant = 1 + variant.conversions, 1 + variant.visitors - variant.conversions
    fewest = min(a_control, b_control, a_variant, b_variant)
    if fewest == a_variant:
        probability = _beta_greater_sum(a_variant, b_variant, a_control, b_control)
    elif fewest == b_control:
        # p_V > p_C  ⇔  1 − p_C > 1 − p_V, with 1 − p ~ Beta(β, α).
        probability = _beta_greater_sum(b_control, a_control, b_variant, a_variant)
    elif fewest == a_control:
        probability = 1.0 - _beta_greater_sum(a_control, b_control, a_variant, b_variant)
    else:
        probability = 1.0 - _beta_greater_sum(b_variant, a_variant, b_control, a_control)
    return min(1.0, max(0.0, probability))


def compare_proportions(control: Proportion, variant: Proportion) -> ProportionComparison:
    """Every figure of a variant's conversion rate against the control's."""
    control_rate, variant_rate = control.rate, variant.rate
    absolute_lift = None
    relative_lift = None
    if control_rate is not None and variant_rate is not None:
        absolute_lift = variant_rate - control_rate
        if control_rate > 0.0:
            relative_lift = absolute_lift / control_rate
    z_test = two_proportion_z_test(control, variant)
    interval = wald_interval(control, variant)
    return ProportionComparison(
        control_rate=control_rate,
        variant_rate=variant_rate,
        absolute_lift=absolute_lift,
        relative_lift=relative_lift,
        z=z_test[0] if z_test else None,
        p_value=z_test[1] if z_test else None,
        ci_low=interval[0] if interval else None,
        ci_high=interval[1] if interval else None,
        probability_to_beat_control=probability_to_beat(control, variant),
    )


def wilson_interval(successes: float, trials: float, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a rate (`statsmodels`' `proportion_confint(method=
    "wilson")`), 95 % by default; None without trials. Fractional counts (credit under a
    multi-touch model) are taken as they are."""
    if trials <= 0:
        return None
    p = min(max(successes / trials, 0.0), 1.0)
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
