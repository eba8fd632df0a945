"""Creative insights (seed 003 `aiCreativeInsights`), explainable: per ad, a recommendation
from written rules over its figures and the account's baseline, with the numbers and the
confidence behind it (`rules`)."""

from rastro.analytics.insights.rules import (
    RULES_VERSION,
    AdFigures,
    Baseline,
    Insight,
    baseline_of,
    recommend,
)

__all__ = ["RULES_VERSION", "AdFigures", "Baseline", "Insight", "baseline_of", "recommend"]
