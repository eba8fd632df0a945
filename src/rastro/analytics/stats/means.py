"""Revenue per visitor of two variants: Welch's t-test on sufficient statistics.

Welch's unequal-variance t-test (`scipy.stats.ttest_ind_from_stats(equal_var=False)`), with
the Welch–Satterthwaite degrees of freedom and a two-sided p-value from the Student t
distribution. Revenue per visitor is mostly zeros with a long tail; with the hundreds of
visitors a verdict requires, the mean is close enough to normal for the t-test (a bootstrap
would need every visitor's value, which the database would have to ship). Each variant comes
as (visitors, Σ revenue, Σ revenue²) so the database computes them in one pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, localcontext

from rastro.analytics.stats.special import student_t_two_sided_p


@dataclass(frozen=True)
class RevenueSample:
    """Per-visitor revenue of a variant as sufficient statistics: n, Σx and Σx²."""

    visitors: int
    total: Decimal | float
    total_of_squares: Decimal | float

    def __post_init__(self) -> None:
        if self.visitors < 0:
            raise ValueError("visitors must not be negative")

    @property
    def mean(self) -> float | None:
        """Revenue per visitor, `None` without visitors."""
        return float(self.total) / self.visitors if self.visitors else None

    @property
    def variance(self) -> float | None:
        """Sample variance (n − 1 denominator), `None` below two visitors.

        Σx² − (Σx)²/n is computed in 50-digit decimal: in binary floating point it cancels
        when the values are large and alike.
        """
        if self.visitors < 2:
            return None
        with localcontext() as context:
            context.prec = 50
            total = Decimal(self.total)
            squares = Decimal(self.total_of_squares) - total * total / self.visitors
            return max(0.0, float(squares / (self.visitors - 1)))


@dataclass(frozen=True)
class MeanComparison:
    """A variant's revenue per visitor against the control's."""

    control_mean: float | None
    variant_mean: float | None
    absolute_lift: float | None
    relative_lift: float | None
    t: float | None
    degrees_of_freedom: float | None
    p_value: float | None


def welch_t_test(
    control: RevenueSample, variant: RevenueSample
) -> tuple[float, float, float] | None:
    """(t, degrees of freedom, two-sided p) of variant − control; None if undefined."""
    control_variance, variant_variance = control.variance, variant.variance
    if control_variance is None or variant_variance is None:
        return None
    control_share = control_variance / control.visitors
    variant_share = variant_variance / variant.visitors
    squared_error = control_share + variant_share
    if squared_error <= 0.0:
        return None
    t = (float(variant.total) / variant.visitors - float(control.total) / control.visitors) / (
        math.sqrt(squared_error)
    )
    degrees_of_freedom = squared_error**2 / (
        control_share**2 / (control.visitors - 1) + variant_share**2 / (variant.visitors - 1)
    )
    return t, degrees_of_freedom, student_t_two_sided_p(t, degrees_of_freedom)


def compare_means(control: RevenueSample, variant: RevenueSample) -> MeanComparison:
    """Every figure of a variant's revenue per visitor against the control's."""
    control_mean, variant_mean = control.mean, variant.mean
    absolute_lift = None
    relative_lift = None
    if control_mean is not None and variant_mean is not None:
        absolute_lift = variant_mean - control_mean
        if control_mean != 0.0:
            relative_lift = absolute_lift / control_mean
    test = welch_t_test(control, variant)
    return MeanComparison(
        control_mean=control_mean,
        variant_mean=variant_mean,
        absolute_lift=absolute_lift,
        relative_lift=relative_lift,
        t=test[0] if test else None,
        degrees_of_freedom=test[1] if test else None,
        p_value=test[2] if test else None,
    )
