"""Sample-ratio mismatch: do the visitors split the way the test's weights say?

Pearson's chi-square goodness of fit of the visitors per variant against the expected
counts total × weight / Σ weights (`scipy.stats.chisquare`), k − 1 degrees of freedom. A
p-value below 0.001 means the split is broken (redirects, caching, bots, a variant that
fails to load) and no figure of the test can be trusted: the usual threshold in the
literature (Fabijan et al., "Diagnosing Sample Ratio Mismatch in Online Controlled
Experiments", KDD 2019), strict because the check runs on every page view of the report.
A variant whose weight is 0 should get no visitors: if it gets some, that alone is a
mismatch (p = 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rastro.analytics.stats.special import chi_square_sf

SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class SampleRatioCheck:
    """The chi-square check of the split; `mismatch` is the warning."""

    chi_square: float | None
    degrees_of_freedom: int | None
    p_value: float | None
    mismatch: bool


def check_sample_ratio(
    visitors: Sequence[int], weights: Sequence[float], *, threshold: float = SRM_THRESHOLD
) -> SampleRatioCheck:
    """Chi-square test of the visitors per variant against the configured weights."""
    if len(visitors) != len(weights):
        raise ValueError("one weight per variant")
    positive_weight = sum(weight for weight in weights if weight > 0)
    total = sum(visitors)
    weighted = [
        (count, weight) for count, weight in zip(visitors, weights, strict=True) if weight > 0
    ]
    if len(weighted) < 2 or total == 0:
        return SampleRatioCheck(None, None, None, mismatch=False)
    degrees_of_freedom = len(weighted) - 1
    if any(count > 0 and weight <= 0 for count, weight in zip(visitors, weights, strict=True)):
        return SampleRatioCheck(None, degrees_of_freedom, 0.0, mismatch=True)
    chi_square = 0.0
    for count, weight in weighted:
        expected = total * weight / positive_weight
        chi_square += (count - expected) ** 2 / expected
    p_value = chi_square_sf(chi_square, degrees_of_freedom)
    return SampleRatioCheck(chi_square, degrees_of_freedom, p_value, mismatch=p_value < threshold)
