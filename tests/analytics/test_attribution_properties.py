"""Properties of the attribution models over journeys drawn by hypothesis, and the exact
methods (Shapley's closed form, Markov's one-inverse removal effects) against brute force."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from itertools import combinations, pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rastro.analytics.attribution import (
    LEVELS,
    MODEL_NAMES,
    MODELS,
    UNTRACKED,
    CountedJourneys,
    Credit,
    Journey,
    Level,
    Touch,
    credit_all,
)
from rastro.analytics.attribution.journeys import Encoded, touch_key
from rastro.analytics.attribution.markov import removal_effects
from tests.analytics.journeys import CHANNELS, journey, journeys, touch

JOURNEY_LISTS = st.lists(journeys(), max_size=25)


@settings(max_examples=60, deadline=None)
@given(
    JOURNEY_LISTS,
    st.sampled_from(MODEL_NAMES),
    st.sampled_from(LEVELS),
    st.floats(0.05, 60),
)
def test_credits_sum_to_the_conversions_and_revenue(
    paths: list[Journey], model: str, level: Level, half_life_days: float
) -> None:
    credits = MODELS[model](paths, level=level, half_life_days=half_life_days)  # type: ignore[index]
    converting = [j for j in paths if j.converted_at is not None]
    expected_conversions = sum(j.conversions for j in converting)
    expected_revenue = sum(j.revenue for j in converting)
    assert sum(c.conversions for c in credits.values()) == pytest.approx(expected_conversions)
    assert sum(c.revenue for c in credits.values()) == pytest.approx(
        expected_revenue, rel=1e-9, abs=1e-6
    )
    assert all(c.conversions >= -1e-12 and c.revenue >= -1e-9 for c in credits.values())


@settings(max_examples=40, deadline=None)
@given(st.lists(journeys(max_touches=1), max_size=20), st.sampled_from(LEVELS))
def test_rule_models_agree_on_single_touch_journeys(paths: list[Journey], level: Level) -> None:
    results = [
        MODELS[name](paths, level=level)
        for name in ("first_touch", "last_touch", "linear", "position_based", "time_decay")
    ]
    for credits in results[1:]:
        assert credits.keys() == results[0].keys()
        for key, credit in credits.items():
            assert credit.conversions == pytest.approx(results[0][key].conversions)
            assert credit.revenue == pytest.approx(results[0][key].revenue)


def brute_force_shapley(paths: list[Journey], level: Level) -> dict[str, float]:
    """φ_i = Σ over coalitions S without i of |S|!(n-|S|-1)!/n! · (v(S + i) - v(S))."""
    sets = [
        (frozenset(touch_key(t, level) for t in j.touches), j.conversions)
        for j in paths
        if j.converted_at is not None and j.touches
    ]
    players = sorted({key for keys, _ in sets for key in keys})
    n = len(players)

    def value(coalition: frozenset[str]) -> float:
        return sum(conversions for keys, conversions in sets if keys <= coalition)

    shapley: dict[str, float] = {}
    for player in players:
        others = [p for p in players if p != player]
        total = 0.0
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for coalition in combinations(others, size):
                members = frozenset(coalition)
                total += weight * (value(members | {player}) - value(members))
        shapley[player] = total
    return shapley


SMALL_GAMES = st.lists(journeys(channels=CHANNELS[:5], max_touches=4), max_size=12)


@settings(max_examples=60, deadline=None)
@given(SMALL_GAMES)
def test_shapley_equals_brute_force_over_all_coalitions(paths: list[Journey]) -> None:
    credits = MODELS["shapley"](paths, level="channel")
    expected = brute_force_shapley(paths, "channel")
    for key, value in expected.items():
        assert credits[key].conversions == pytest.approx(value, abs=1e-9)
    # Keys only in non-converting journeys are players with no marginal value; journeys
    # without touches are no game's and go to UNTRACKED.
    untracked = sum(j.conversions for j in paths if j.converted_at is not None and not j.touches)
    assert credits.pop(UNTRACKED, Credit(0.0, 0.0)).conversions == untracked
    assert all(c.conversions == 0 for key, c in credits.items() if key not in expected)


@settings(max_examples=40, deadline=None)
@given(SMALL_GAMES, st.sampled_from(CHANNELS[:5]), st.sampled_from(CHANNELS[:5]))
def test_shapley_is_symmetric(paths: list[Journey], first: str, second: str) -> None:
    # Swapping two channels in every journey maps the game onto itself when they are
    # interchangeable; in any case their values swap.
    swap = {first: second, second: first}
    swapped = [
        Journey(
            tuple(touch(swap.get(t.channel, t.channel)) for t in j.touches),
            j.converted_at,
            j.conversions,
            j.revenue,
        )
        for j in paths
    ]
    credits = MODELS["shapley"](paths, level="channel")
    credits_swapped = MODELS["shapley"](swapped, level="channel")
    for key, credit in credits.items():
        assert credits_swapped[swap.get(key, key)].conversions == pytest.approx(credit.conversions)
    # Two channels that always appear together are interchangeable: equal values.
    together = [
        Journey(
            (*j.touches, touch("Pair A"), touch("Pair B")), j.converted_at, j.conversions, j.revenue
        )
        if j.touches and j.touches[0].channel == first
        else j
        for j in paths
    ]
    values = MODELS["shapley"](together, level="channel")
    if "Pair A" in values:
        assert values["Pair A"].conversions == pytest.approx(values["Pair B"].conversions)
        assert values["Pair A"].revenue == pytest.approx(values["Pair B"].revenue)


@settings(max_examples=40, deadline=None)
@given(JOURNEY_LISTS, st.permutations(CHANNELS))
def test_markov_credit_is_unchanged_by_renaming_channels(
    paths: list[Journey], renamed: list[str]
) -> None:
    names = {old: f"{new} (renamed)" for old, new in zip(CHANNELS, renamed, strict=True)}
    names[UNTRACKED] = UNTRACKED
    # Markov treats no channel specially, so every one is renamed (Direct too).
    renamed_paths = [
        Journey(
            tuple(
                Touch(t.at, names[t.channel], t.source, t.medium, t.campaign, t.content)
                for t in j.touches
            ),
            j.converted_at,
            j.conversions,
            j.revenue,
        )
        for j in paths
    ]
    credits = MODELS["markov"](paths, level="channel")
    credits_renamed = MODELS["markov"](renamed_paths, level="channel")
    assert {names[k] for k in credits} == set(credits_renamed)
    for key, credit in credits.items():
        assert credits_renamed[names[key]].conversions == pytest.approx(
            credit.conversions, abs=1e-9
        )
        assert credits_renamed[names[key]].revenue == pytest.approx(credit.revenue, abs=1e-6)


def naive_removal_effects(
    paths: list[Journey], removed: list[str] | None = None
) -> tuple[float, dict[str, float]]:
    """The chain built with dictionaries and solved once per removed channel (all of them,
    or those in `removed`)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for j in paths:
        if not j.touches:
            continue
        states = ["(start)"]
        for t in j.touches:
            if t.channel != states[-1]:
                states.append(t.channel)
        states.append("(conversion)" if j.converted_at is not None else "(null)")
        for here, there in pairwise(states):
            counts[here][there] += 1
    channels = sorted({c for j in paths for c in (t.channel for t in j.touches)})

    def p_conversion(removed: str | None) -> float:
        transient = ["(start)"] + [c for c in channels if c != removed]
        index = {state: i for i, state in enumerate(transient)}
        q = np.zeros((len(transient), len(transient)))
        r = np.zeros(len(transient))
        for state in transient:
            total = sum(counts[state].values())
            for there, count in counts[state].items():
                if there == "(conversion)":
                    r[index[state]] += count / total
                elif there in index:
                    q[index[state], index[there]] += count / total
        return float(np.linalg.solve(np.eye(len(transient)) - q, r)[0])

    base = p_conversion(None)
    if base == 0:
        return 0.0, dict.fromkeys(channels, 0.0)
    return base, {c: 1 - p_conversion(c) / base for c in removed or channels}


@settings(max_examples=60, deadline=None)
@given(JOURNEY_LISTS)
def test_markov_removal_effects_equal_one_solve_per_removed_channel(
    paths: list[Journey],
) -> None:
    encoded = Encoded(paths, "channel")
    p_conversion, effects = removal_effects(encoded)
    expected_p, expected = naive_removal_effects(paths)
    assert p_conversion == pytest.approx(expected_p, abs=1e-12)
    got = dict(zip(encoded.paths.keys, effects.tolist(), strict=True))
    assert got == pytest.approx(expected, abs=1e-9)


def test_markov_with_hundreds_of_states_equals_one_solve_per_state() -> None:
    rng = np.random.default_rng(3)
    paths = [
        journey(
            *(touch(f"Campaign {c}", 5 - i) for i, c in enumerate(rng.integers(0, 400, size=4))),
            converted=bool(rng.random() < 0.3),
        )
        for _ in range(5000)
    ]
    encoded = Encoded(paths, "channel")
    _, effects = removal_effects(encoded)
    assert len(encoded.paths.keys) == 400
    sample = encoded.paths.keys[::40]
    _, expected = naive_removal_effects(paths, sample)
    got = dict(zip(encoded.paths.keys, effects.tolist(), strict=True))
    assert [got[k] for k in sample] == pytest.approx([expected[k] for k in sample], abs=1e-9)
    assert all(expected[k] > 0 for k in sample)


def counted_transitions(paths: list[Journey], level: Level) -> dict[tuple, int]:
    """What the database counts for non-converting journeys: start → first key, key → next
    different key, last key → null (None)."""
    counts: Counter[tuple] = Counter()
    for path in paths:
        keys = [touch_key(t, level) for t in path.touches]
        collapsed = [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]
        counts.update(pairwise([None, *collapsed, None]))
    return dict(counts)


@settings(max_examples=60, deadline=None)
@given(JOURNEY_LISTS, JOURNEY_LISTS, st.sampled_from(LEVELS))
def test_non_converting_journeys_counted_by_transition_credit_like_the_journeys(
    first: list[Journey], second: list[Journey], level: Level
) -> None:
    """Markov over converting journeys plus non-converting ones given by their transition
    counts credits what it credits over all the journeys; the other models give the counted
    journeys' keys 0 and credit the rest unchanged."""
    converting = [j for j in first + second if j.converted_at is not None]
    lost = [j for j in first + second if j.converted_at is None and j.touches]
    counted = CountedJourneys(level, counted_transitions(lost, level))
    assert counted.journeys == len(lost)
    together = credit_all(converting + lost, level=level)
    apart = credit_all(converting, level=level, counted=counted)
    for name in MODEL_NAMES:
        assert apart[name].keys() == together[name].keys(), name
        for key, credit in together[name].items():
            assert apart[name][key].conversions == pytest.approx(credit.conversions, abs=1e-9)
            assert apart[name][key].revenue == pytest.approx(credit.revenue, abs=1e-6)


def test_counted_journeys_must_be_at_the_credited_level() -> None:
    counted = CountedJourneys("campaign", {(None, "spring"): 1, ("spring", None): 1})
    with pytest.raises(ValueError, match="campaign"):
        credit_all([], level="channel", counted=counted)
