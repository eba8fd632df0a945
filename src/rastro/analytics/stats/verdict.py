"""When an A/B comparison may name a winner, and the plain-language verdict code.

The rule (`decide`), checked in this order for a variant against the control:

1. `srm_warning` — the sample-ratio check failed (p < 0.001): the split is broken, so no
   difference means anything until it is fixed.
2. `collecting_data` — either side has fewer than `min_visitors` (100) visitors or fewer than
   `min_conversions` (10) conversions (won deals for revenue), or fewer visitors than the
   planned sample size. The planned size per variant is the classic two-sample formula for
   80 % power at the test's significance level, n = (z₁₋α/2 + z₀.₈)² (σ₁² + σ₂²) / δ², for
   a `minimum_detectable_effect` (20 %) relative change of the control's observed figure:
   rates σ² = p(1 − p) with p₂ = p₁(1 + 20 %) (or p₁(1 − 20 %) when that would pass 100 %);
   revenue per visitor σ₁ = σ₂ = the control's standard deviation. Until both sides reach it,
   a "significant" p-value is the noise of peeking and is not reported as a win.
3. `no_difference_yet` — enough data, but p >= α (or the p-value is undefined).
4. `variant_wins` / `control_wins` — enough data and p < α, by the sign of the difference.

α is 0.05, Bonferroni-divided by the number of variants compared with the control, so a
test with many variants does not find a "winner" by chance more often than one with two.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from rastro.analytics.stats.special import Z_POWER_80, normal_quantile

POWER = 0.8  # the power the planned sample size is computed for (Z_POWER_80)


class VerdictCode(enum.StrEnum):
    """What the test says, for the UI to put in words."""

    COLLECTING_DATA = "collecting_data"
    NO_DIFFERENCE_YET = "no_difference_yet"
    VARIANT_WINS = "variant_wins"
    CONTROL_WINS = "control_wins"
    SRM_WARNING = "srm_warning"


class VerdictReason(enum.StrEnum):
    """Why the verdict is what it is."""

    SAMPLE_RATIO_MISMATCH = "sample_ratio_mismatch"
    NO_CONTROL = "no_control"
    SINGLE_VARIANT = "single_variant"
    TOO_FEW_VISITORS = "too_few_visitors"
    TOO_FEW_CONVERSIONS = "too_few_conversions"
    NO_BASELINE = "no_baseline"
    BELOW_PLANNED_SAMPLE = "below_planned_sample"
    NOT_SIGNIFICANT = "not_significant"
    SIGNIFICANT = "significant"


@dataclass(frozen=True)
class DecisionRule:
    """The thresholds of `decide`."""

    min_visitors: int = 100
    min_conversions: int = 10
    minimum_detectable_effect: float = 0.2
    alpha: float = 0.05


@dataclass(frozen=True)
class Verdict:
    """A verdict code, its reason, the planned visitors per variant and the α applied."""

    code: VerdictCode
    reason: VerdictReason
    planned_visitors: int | None
    alpha: float


def _z_sum(alpha: float) -> float:
    return normal_quantile(1.0 - alpha / 2.0) + Z_POWER_80


def planned_visitors_for_rate(
    control_rate: float | None, *, alpha: float, minimum_detectable_effect: float
) -> int | None:
    """Visitors per variant to detect the relative change in a rate; None without a baseline."""
    if control_rate is None or control_rate <= 0.0:
        return None
    target = control_rate * (1.0 + minimum_detectable_effect)
    if target >= 1.0:
        target = control_rate * (1.0 - minimum_detectable_effect)
    variance = control_rate * (1.0 - control_rate) + target * (1.0 - target)
    difference = target - control_rate
    return max(1, math.ceil(_z_sum(alpha) ** 2 * variance / difference**2))


def planned_visitors_for_mean(
    control_mean: float | None,
    control_variance: float | None,
    *,
    alpha: float,
    minimum_detectable_effect: float,
) -> int | None:
    """Visitors per variant to detect the relative change in a mean; None without a baseline."""
    if not control_mean or control_variance is None:
        return None
    difference = abs(control_mean) * minimum_detectable_effect
    return max(1, math.ceil(_z_sum(alpha) ** 2 * 2.0 * control_variance / difference**2))


def decide(
    *,
    visitors: tuple[int, int],
    conversions: tuple[int, int],
    planned_visitors: int | None,
    p_value: float | None,
    difference: float | None,
    sample_ratio_mismatch: bool,
    rule: DecisionRule,
    comparisons: int = 1,
) -> Verdict:
    """The verdict of one variant against the control (pairs are control, variant)."""
    alpha = rule.alpha / max(1, comparisons)

    def verdict(code: VerdictCode, reason: VerdictReason) -> Verdict:
        return Verdict(code, reason, planned_visitors, alpha)

    if sample_ratio_mismatch:
        return verdict(VerdictCode.SRM_WARNING, VerdictReason.SAMPLE_RATIO_MISMATCH)
    if min(visitors) < rule.min_visitors:
        return verdict(VerdictCode.COLLECTING_DATA, VerdictReason.TOO_FEW_VISITORS)
    if min(conversions) < rule.min_conversions:
        return verdict(VerdictCode.COLLECTING_DATA, VerdictReason.TOO_FEW_CONVERSIONS)
    if planned_visitors is None:
        return verdict(VerdictCode.COLLECTING_DATA, VerdictReason.NO_BASELINE)
    if min(visitors) < planned_visitors:
        return verdict(VerdictCode.COLLECTING_DATA, VerdictReason.BELOW_PLANNED_SAMPLE)
    if p_value is None or difference is None or p_value >= alpha or difference == 0.0:
        return verdict(VerdictCode.NO_DIFFERENCE_YET, VerdictReason.NOT_SIGNIFICANT)
    if difference > 0.0:
        return verdict(VerdictCode.VARIANT_WINS, VerdictReason.SIGNIFICANT)
    return verdict(VerdictCode.CONTROL_WINS, VerdictReason.SIGNIFICANT)
