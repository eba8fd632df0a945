"""The rule-based attribution models: each converting journey's conversions and revenue are
split over its touches by a fixed rule. Non-converting journeys are ignored. The rules are
those of Google Ads' attribution models ("About attribution models",
support.google.com/google-ads/answer/6259715; the `AttributionModel` enum of the Google Ads
API), and, for last non-direct, Google Analytics' "last non-direct click" model."""

from __future__ import annotations

import numpy as np

from rastro.analytics.attribution.journeys import Credit, Encoded, Floats, Ints


def _chosen(encoded: Encoded, touch_index: Ints) -> dict[str, Credit]:
    """All of each converting journey's credit to one touch (touch_index[j] for journey j)."""
    paths = encoded.converting
    size = len(paths.keys)
    codes = paths.codes[touch_index]
    conversions = np.bincount(codes, weights=paths.conversions, minlength=size)
    revenue = np.bincount(codes, weights=paths.revenue, minlength=size)
    return encoded.credits(conversions, revenue)


def first_touch(encoded: Encoded) -> dict[str, Credit]:
    """First touch: 100 % of a conversion to the journey's first touch (Google Ads "first
    click")."""
    return _chosen(encoded, encoded.converting.starts[:-1])


def last_touch(encoded: Encoded) -> dict[str, Credit]:
    """Last touch: 100 % of a conversion to the journey's last touch (Google Ads "last
    click")."""
    return _chosen(encoded, encoded.converting.starts[1:] - 1)


def last_non_direct(encoded: Encoded) -> dict[str, Credit]:
    """Last non-direct touch: 100 % to the last touch whose channel is not Direct; a journey
    of Direct touches only credits its last touch (Google Analytics "last non-direct
    click")."""
    paths = encoded.converting
    if not len(paths.lengths):
        return encoded.credits(np.zeros(len(paths.keys)), np.zeros(len(paths.keys)))
    candidates = np.where(paths.is_direct, -1, np.arange(len(paths.codes)))
    last_non_direct_index = np.maximum.reduceat(candidates, paths.starts[:-1])
    last_index = paths.starts[1:] - 1
    return _chosen(encoded, np.where(last_non_direct_index >= 0, last_non_direct_index, last_index))


def linear(encoded: Encoded) -> dict[str, Credit]:
    """Linear: a conversion split equally over the journey's touches; a channel touched
    twice gets two shares (Google Ads "linear")."""
    paths = encoded.converting
    return encoded.credits_from_touch_weights(1.0 / np.repeat(paths.lengths, paths.lengths))


def time_decay(encoded: Encoded, *, half_life_days: float = 7.0) -> dict[str, Credit]:
    """Time decay: each touch weighted 2^(-Δt / half-life), Δt from the touch to the
    conversion, half-life 7 days unless set, weights normalised per journey (Google Ads
    "time decay", whose half-life is 7 days)."""
    paths = encoded.converting
    if not len(paths.lengths):
        return encoded.credits_from_touch_weights(np.zeros(0))
    # Ages relative to each journey's newest touch, which then weighs exactly 1: no 0/0 for
    # old touches or tiny half-lives (an overflow to infinity only makes a weight 0).
    newest = np.minimum.reduceat(paths.age_days, paths.starts[:-1])
    relative = paths.age_days - np.repeat(newest, paths.lengths)
    with np.errstate(over="ignore"):
        weights: Floats = np.exp2(-(relative / half_life_days))
    totals = np.add.reduceat(weights, paths.starts[:-1])
    return encoded.credits_from_touch_weights(weights / np.repeat(totals, paths.lengths))


def position_based(encoded: Encoded) -> dict[str, Credit]:
    """Position-based: 40 % to the first touch, 40 % to the last, 20 % split equally over
    the touches between; one touch takes 100 %, two take 50 % each (Google Ads
    "position-based")."""
    paths = encoded.converting
    length = np.repeat(paths.lengths, paths.lengths)
    position = np.arange(len(paths.codes)) - np.repeat(paths.starts[:-1], paths.lengths)
    end = (position == 0) | (position == length - 1)
    middle_share = 0.2 / np.maximum(length - 2, 1)
    weights = np.where(
        length == 1, 1.0, np.where(length == 2, 0.5, np.where(end, 0.4, middle_share))
    )
    return encoded.credits_from_touch_weights(weights)
