"""The rules, in order (the first that applies wins), each written out so the page can
say it in words:

1. `fix_tracking`: the ad spent at least `MIN_SPEND` but no visit reached it (no lead, no
   click reaching the site's tracking): its clicks carry no UTM or id we can join.
2. `watch`: fewer than `MIN_LEADS` leads: too little data to judge.
3. `pause`: leads close far less often than the account's: the upper end of the 95 %
   Wilson interval of its lead → sale rate is below half the account's rate. A high hook
   rate (≥ the account's) is said, since that is the trap: an ad that hooks but does not sell.
4. `scale`: leads close more often than the account's (the lower end of the interval is
   above the account's rate) at a cost per lead no more than `SCALE_CPL_MARGIN` times the
   account's.
5. `keep`: none of the above.

Pure (no database): the service feeds it the Ads report's per-ad figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from rastro.analytics.stats.proportions import wilson_interval

RULES_VERSION = 1
MIN_SPEND = Decimal("20")
MIN_LEADS = 10
PAUSE_FACTOR = 0.5
SCALE_CPL_MARGIN = Decimal("1.2")

Recommendation = Literal["fix_tracking", "watch", "pause", "scale", "keep"]


@dataclass(frozen=True)
class AdFigures:
    spend: Decimal
    impressions: int
    clicks: int
    hook_rate: float | None
    leads: float
    won: float
    revenue: Decimal


@dataclass(frozen=True)
class Baseline:
    """The account's (all ads of the organization's) figures over the same period."""

    sale_rate: float | None  # won / leads
    cpl: Decimal | None
    hook_rate: float | None


@dataclass(frozen=True)
class Insight:
    recommendation: Recommendation
    rule: int  # the rule's number above
    sale_rate: float | None
    interval: tuple[float, float] | None  # 95 % Wilson interval of the sale rate
    cpl: Decimal | None
    hooks_well: bool  # hook rate at or above the account's


def baseline_of(ads: list[AdFigures]) -> Baseline:
    leads = sum(a.leads for a in ads)
    won = sum(a.won for a in ads)
    spend = sum((a.spend for a in ads), Decimal(0))
    hooked = [a for a in ads if a.hook_rate is not None and a.impressions]
    impressions = sum(a.impressions for a in hooked)
    hook = (
        sum((a.hook_rate or 0) * a.impressions for a in hooked) / impressions
        if impressions
        else None
    )
    return Baseline(
        sale_rate=won / leads if leads else None,
        cpl=(spend / Decimal(repr(leads))).quantize(Decimal("0.01")) if leads else None,
        hook_rate=hook,
    )


def recommend(ad: AdFigures, base: Baseline) -> Insight:
    rate = ad.won / ad.leads if ad.leads else None
    interval = wilson_interval(ad.won, ad.leads)
    cpl = (ad.spend / Decimal(repr(ad.leads))).quantize(Decimal("0.01")) if ad.leads else None
    hooks = (
        ad.hook_rate is not None and base.hook_rate is not None and ad.hook_rate >= base.hook_rate
    )

    def insight(recommendation: Recommendation, rule: int) -> Insight:
        return Insight(recommendation, rule, rate, interval, cpl, hooks)

    if ad.spend >= MIN_SPEND and ad.leads == 0 and ad.clicks > 0 and ad.won == 0:
        return insight("fix_tracking", 1)
    if ad.leads < MIN_LEADS or interval is None:
        return insight("watch", 2)
    if base.sale_rate is not None and interval[1] < base.sale_rate * PAUSE_FACTOR:
        return insight("pause", 3)
    if (
        base.sale_rate is not None
        and interval[0] > base.sale_rate
        and (cpl is None or base.cpl is None or cpl <= base.cpl * SCALE_CPL_MARGIN)
    ):
        return insight("scale", 4)
    return insight("keep", 5)
