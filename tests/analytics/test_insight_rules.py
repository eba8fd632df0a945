"""Creative insight rules on crafted ads, and the Wilson interval against statsmodels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from statsmodels.stats.proportion import proportion_confint

from rastro.analytics.insights import AdFigures, Baseline, baseline_of, recommend
from rastro.analytics.stats.proportions import wilson_interval

BASE = Baseline(sale_rate=0.2, cpl=Decimal("50.00"), hook_rate=0.25)


def ad(**over: object) -> AdFigures:
    values: dict[str, object] = {
        "spend": Decimal("1000"),
        "impressions": 10_000,
        "clicks": 300,
        "hook_rate": 0.25,
        "leads": 20.0,
        "won": 4.0,
        "revenue": Decimal("2000"),
    }
    values.update(over)
    return AdFigures(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("won", "trials"), [(0, 38), (4, 20), (19, 20), (1, 1), (50, 400)])
def test_wilson_matches_statsmodels(won: int, trials: int) -> None:
    low, high = proportion_confint(won, trials, alpha=0.05, method="wilson")
    mine = wilson_interval(won, trials)
    assert mine is not None
    assert mine == pytest.approx((low, high), abs=1e-6)
    assert wilson_interval(0, 0) is None


def test_each_rule_at_its_boundary() -> None:
    # Spend, clicks and no lead at all: tracking to fix; below the spend floor: watch.
    assert recommend(ad(leads=0.0, won=0.0), BASE).recommendation == "fix_tracking"
    assert recommend(ad(leads=0.0, won=0.0, spend=Decimal("19.99")), BASE).recommendation == "watch"
    # Nine leads: too few to judge, whatever they did; ten are enough.
    assert recommend(ad(leads=9.0, won=0.0), BASE).recommendation == "watch"
    assert recommend(ad(leads=10.0, won=2.0), BASE).recommendation == "keep"
    # 0 of 38 leads closed (Wilson upper 9.2 %) against the account's 20 %: pause, and the
    # high hook rate is said.
    paused = recommend(ad(leads=38.0, won=0.0, hook_rate=0.42), BASE)
    assert paused.recommendation == "pause"
    assert paused.hooks_well is True
    assert paused.interval is not None
    assert paused.interval[1] < 0.1
    # 0 of 20: the upper end (16.1 %) is above half the account's rate: not proven yet.
    assert recommend(ad(leads=20.0, won=0.0), BASE).recommendation == "keep"
    # 20 of 40 closed at a CPL of R$ 55 (at most 1.2 x 50): scale; at R$ 61: keep.
    assert (
        recommend(ad(leads=40.0, won=20.0, spend=Decimal("2200")), BASE).recommendation == "scale"
    )
    assert recommend(ad(leads=40.0, won=20.0, spend=Decimal("2440")), BASE).recommendation == "keep"


def test_the_baseline_is_the_accounts_whole() -> None:
    ads = [
        ad(leads=10.0, won=1.0, spend=Decimal("500"), hook_rate=0.2, impressions=1000),
        ad(leads=30.0, won=9.0, spend=Decimal("1500"), hook_rate=0.4, impressions=3000),
    ]
    base = baseline_of(ads)
    assert base.sale_rate == pytest.approx(10 / 40)
    assert base.cpl == Decimal("50.00")
    assert base.hook_rate == pytest.approx((0.2 * 1000 + 0.4 * 3000) / 4000)
