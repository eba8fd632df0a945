"""Each attribution model against journeys credited by hand."""

from __future__ import annotations

import numpy as np
import pytest

from rastro.analytics.attribution import (
    MODEL_DEFINITIONS,
    MODEL_NAMES,
    MODELS,
    UNTRACKED,
    Credit,
    Journey,
    credit_all,
)
from rastro.analytics.attribution.journeys import Encoded
from rastro.analytics.attribution.markov import removal_effects, transition_counts
from tests.analytics.journeys import journey, touch


def conversions(credits: dict[str, Credit]) -> dict[str, float]:
    """Only the keys with credit, rounded for comparison."""
    return {key: round(c.conversions, 9) for key, c in credits.items() if c.conversions}


def flat(credits: dict[str, Credit]) -> dict[str, float]:
    """Conversions and revenue of every key in one flat mapping (for pytest.approx)."""
    return {
        f"{key} {field}": getattr(c, field)
        for key, c in credits.items()
        for field in ("conversions", "revenue")
    }


# Paid Search 14 days before, Email and Paid Search again 7 days before, Direct at the
# conversion: a repeat, a Direct last touch, and touch ages for time decay.
REPEATS = journey(
    touch("Paid Search", 14),
    touch("Email", 7),
    touch("Paid Search", 7),
    touch("Direct", 0),
    revenue=900.0,
)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("first_touch", {"Paid Search": 1.0}),
        ("last_touch", {"Direct": 1.0}),
        ("last_non_direct", {"Paid Search": 1.0}),
        ("linear", {"Paid Search": 0.5, "Email": 0.25, "Direct": 0.25}),
        # Weights 2^-2, 2^-1, 2^-1, 2^0 = 0.25, 0.5, 0.5, 1 of 2.25.
        (
            "time_decay",
            {
                "Paid Search": round(0.75 / 2.25, 9),
                "Email": round(0.5 / 2.25, 9),
                "Direct": round(1 / 2.25, 9),
            },
        ),
        ("position_based", {"Paid Search": 0.5, "Email": 0.1, "Direct": 0.4}),
        (
            "shapley",
            {"Paid Search": round(1 / 3, 9), "Email": round(1 / 3, 9), "Direct": round(1 / 3, 9)},
        ),
    ],
)
def test_rule_models_and_shapley_on_a_journey_with_repeats(
    model: str, expected: dict[str, float]
) -> None:
    credits = MODELS[model]([REPEATS], level="channel")  # type: ignore[index]
    assert conversions(credits) == expected
    revenue = {key: round(c.revenue, 6) for key, c in credits.items() if c.revenue}
    assert revenue == {key: round(900 * share, 6) for key, share in expected.items()}


def test_time_decay_half_life_is_configurable() -> None:
    credits = MODELS["time_decay"]([REPEATS], level="channel", half_life_days=14)
    # Weights 2^-1, 2^-0.5, 2^-0.5, 1.
    total = 0.5 + 2 * 2**-0.5 + 1
    assert credits["Paid Search"].conversions == pytest.approx((0.5 + 2**-0.5) / total)
    assert credits["Direct"].conversions == pytest.approx(1 / total)


def test_time_decay_with_old_touches_and_a_tiny_half_life_gives_no_nan() -> None:
    old = journey(touch("Email", 365), touch("Referral", 300), revenue=10)
    credits = MODELS["time_decay"]([old], level="channel", half_life_days=0.01)
    assert credits == {"Email": Credit(0.0, 0.0), "Referral": Credit(1.0, 10.0)}
    # Ages over a denormal half-life overflow to infinity: still weights, never NaN.
    credits = MODELS["time_decay"]([old], level="channel", half_life_days=1e-310)
    assert credits == {"Email": Credit(0.0, 0.0), "Referral": Credit(1.0, 10.0)}


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_a_single_touch_takes_everything(model: str) -> None:
    credits = MODELS[model]([journey(touch("Email", 3), revenue=40)], level="channel")  # type: ignore[index]
    assert credits == {"Email": Credit(1.0, 40.0)}


def test_two_touches_split_fifty_fifty_in_position_based() -> None:
    credits = MODELS["position_based"](
        [journey(touch("Email", 3), touch("Referral", 1))], level="channel"
    )
    assert conversions(credits) == {"Email": 0.5, "Referral": 0.5}


def test_last_non_direct_skips_direct_and_an_all_direct_path_credits_direct() -> None:
    journeys = [
        journey(touch("Email", 5), touch("Direct", 2), touch("Direct", 1)),
        journey(touch("Direct", 5), touch("Direct", 1)),
    ]
    credits = MODELS["last_non_direct"](journeys, level="channel")
    assert conversions(credits) == {"Email": 1.0, "Direct": 1.0}


def test_last_non_direct_decides_by_channel_at_campaign_level() -> None:
    path = journey(touch("Paid Search", 5, campaign="brand"), touch("Direct", 1))
    assert conversions(MODELS["last_non_direct"]([path], level="campaign")) == {"brand": 1.0}
    assert conversions(MODELS["last_touch"]([path], level="campaign")) == {"(none)": 1.0}


@pytest.mark.parametrize("model", [name for name in MODEL_NAMES if name != "markov"])
def test_all_but_markov_ignore_non_converting_journeys(model: str) -> None:
    converting = [journey(touch("Email", 3), touch("Referral", 1), revenue=5)]
    lost = [journey(touch("Referral", 2), touch("Email", 1), converted=False)] * 3
    alone = MODELS[model](converting, level="channel")  # type: ignore[index]
    assert MODELS[model](converting + lost, level="channel") == alone  # type: ignore[index]


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_a_conversion_without_touches_is_untracked(model: str) -> None:
    untracked = Journey((), journey().converted_at, 1.0, 70.0)
    credits = MODELS[model](  # type: ignore[index]
        [untracked, journey(touch("Email", 1), revenue=30)], level="source"
    )
    assert credits == {"email": Credit(1.0, 30.0), UNTRACKED: Credit(1.0, 70.0)}


# The chain of the Markov tests, solved by hand. Paths (consecutive repeats collapsed):
#   start → Paid Search → Email → Direct → conversion   (revenue 100)
#   start → Direct → conversion                          (revenue 50)
#   start → Email → Paid Search → null
# P(start → each) = 1/3; Paid Search → Email or null 1/2 each; Email → Direct or Paid Search
# 1/2 each; Direct → conversion 1. Absorption: x(Direct) = 1, x(Email) = 1/2 + x(PS)/2,
# x(PS) = x(Email)/2, so x(Email) = 2/3, x(PS) = 1/3 and P(conversion) = (1/3 + 1 + 2/3)/3
# = 2/3. Removing Direct: 0 (RE 1). Removing Email: x(PS) = 0, P = 1/3 (RE 1/2). Removing
# Paid Search: x(Email) = 1/2, P = 1/2 (RE 1/4). ΣRE = 7/4: shares 4/7, 2/7, 1/7.
MARKOV_JOURNEYS = [
    journey(
        touch("Paid Search", 9),
        touch("Paid Search", 8),
        touch("Email", 5),
        touch("Direct", 1),
        revenue=100,
    ),
    journey(touch("Direct", 2), touch("Direct", 0), revenue=50),
    journey(touch("Email", 4), touch("Paid Search", 1), converted=False),
]


def test_markov_against_the_chain_solved_by_hand() -> None:
    p_conversion, effects = removal_effects(Encoded(MARKOV_JOURNEYS, "channel"))
    assert p_conversion == pytest.approx(2 / 3)
    keys = Encoded(MARKOV_JOURNEYS, "channel").paths.keys
    assert dict(zip(keys, effects.tolist(), strict=True)) == pytest.approx(
        {"Paid Search": 0.25, "Email": 0.5, "Direct": 1.0}
    )
    credits = MODELS["markov"](MARKOV_JOURNEYS, level="channel")
    assert flat(credits) == pytest.approx(
        flat(
            {
                "Paid Search": Credit(2 / 7, 150 / 7),
                "Email": Credit(4 / 7, 300 / 7),
                "Direct": Credit(8 / 7, 600 / 7),
            }
        )
    )


def test_markov_collapses_consecutive_repeats_only() -> None:
    repeated = [
        journey(
            touch("Paid Search", 9),
            touch("Email", 5),
            touch("Email", 4),
            touch("Direct", 1),
            revenue=100,
        ),
        *MARKOV_JOURNEYS[1:],
    ]
    counts, size = transition_counts(Encoded(repeated, "channel"))
    assert np.diagonal(counts)[1 : size + 1].sum() == 0
    assert flat(MODELS["markov"](repeated, level="channel")) == pytest.approx(
        flat(MODELS["markov"](MARKOV_JOURNEYS, level="channel"))
    )
    # A return to Paid Search after Email is a transition, not a repeat: credit moves.
    returning = [
        journey(
            touch("Paid Search", 9),
            touch("Email", 5),
            touch("Paid Search", 3),
            touch("Direct", 1),
            revenue=100,
        ),
        *MARKOV_JOURNEYS[1:],
    ]
    assert flat(MODELS["markov"](returning, level="channel")) != pytest.approx(
        flat(MODELS["markov"](MARKOV_JOURNEYS, level="channel"))
    )


def test_markov_reads_non_converting_journeys() -> None:
    converting = [
        journey(touch("Email", 2), touch("Direct", 1)),
        journey(touch("Referral", 2), touch("Direct", 1)),
    ]
    # Alone: RE = 1/2, 1/2 and 1 for Email, Referral, Direct: shares 1/4, 1/4, 1/2.
    assert conversions(MODELS["markov"](converting, level="channel")) == {
        "Email": 0.5,
        "Referral": 0.5,
        "Direct": 1.0,
    }
    # With Referral → Email → null: start → Email 1/3, Referral 2/3; Referral → Direct or
    # Email 1/2 each; Email → Direct or null 1/2 each. P = 1/3 · 1/2 + 2/3 · 3/4 = 2/3;
    # without Email 1/3 (RE 1/2), without Referral 1/6 (RE 3/4), without Direct 0 (RE 1).
    lost = journey(touch("Referral", 3), touch("Email", 2), converted=False)
    credits = MODELS["markov"]([*converting, lost], level="channel")
    assert flat(credits) == pytest.approx(
        flat({"Email": Credit(4 / 9, 0), "Referral": Credit(2 / 3, 0), "Direct": Credit(8 / 9, 0)})
    )


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_no_conversions_credit_nothing(model: str) -> None:
    lost = [journey(touch("Email", 2), touch("Direct", 1), converted=False)]
    credits = MODELS[model](lost, level="channel")  # type: ignore[index]
    assert credits == {"Email": Credit(0.0, 0.0), "Direct": Credit(0.0, 0.0)}
    assert MODELS[model]([], level="channel") == {}  # type: ignore[index]


def test_credit_all_equals_each_model_alone() -> None:
    journeys = [REPEATS, *MARKOV_JOURNEYS]
    together = credit_all(journeys, level="campaign", half_life_days=3)
    assert list(together) == list(MODEL_NAMES)
    for name in MODEL_NAMES:
        assert together[name] == MODELS[name](journeys, level="campaign", half_life_days=3)


def test_every_model_documents_its_definition_and_source() -> None:
    sources = {"markov": "Anderl", "shapley": "Shapley 1953"}
    for name in MODEL_NAMES:
        assert sources.get(name, "Google") in MODEL_DEFINITIONS[name]
        assert MODELS[name].__doc__
        assert MODELS[name].__name__ == name
