"""Shapley value attribution (Shapley, "A value for n-person games", 1953; applied to
channels by Zhao, Mahboobi and Bagheri, "Shapley value methods for attribution modeling in
online advertising", 2018), computed exactly."""

from __future__ import annotations

import numpy as np

from rastro.analytics.attribution.journeys import Credit, Encoded


def shapley(encoded: Encoded) -> dict[str, Credit]:
    """Shapley value of the game whose coalition value v(S) is the conversions (or revenue)
    of the converting journeys whose set of keys is a subset of S (Shapley 1953; Zhao et
    al. 2018). v is a sum of unanimity games, one per converting journey on its set of
    keys, and the Shapley value is additive and splits a unanimity game equally over its
    players: so each converting journey's conversions and revenue are split equally over
    its distinct keys, which is the exact Shapley value in linear time."""
    paths = encoded.converting
    size = max(len(paths.keys), 1)
    journey = paths.journey_of_touch
    pairs = np.unique(journey * size + paths.codes)
    pair_journey, pair_key = pairs // size, pairs % size
    distinct = np.bincount(pair_journey, minlength=len(paths.lengths))
    share = 1.0 / distinct[pair_journey]
    return encoded.credits(
        np.bincount(pair_key, weights=paths.conversions[pair_journey] * share, minlength=size)[
            : len(paths.keys)
        ],
        np.bincount(pair_key, weights=paths.revenue[pair_journey] * share, minlength=size)[
            : len(paths.keys)
        ],
    )
