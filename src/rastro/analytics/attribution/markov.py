"""Markov chain attribution by removal effect (Anderl, Becker, von Wangenheim and Schumann,
"Mapping the customer journey: Lessons learned from graph-based online attribution
modeling", International Journal of Research in Marketing 33(3), 2016)."""

from __future__ import annotations

import numpy as np

from rastro.analytics.attribution.journeys import Credit, Encoded, Floats


def transition_counts(encoded: Encoded) -> tuple[Floats, int]:
    """Journey counts per transition between the states start (0), key k (k + 1),
    conversion (K + 1) and null (K + 2), consecutive repeats of a key collapsed (as Anderl et
    al. do; a self-loop would change no absorption probability, only the path lengths),
    plus the transitions of the journeys given as counts (`Encoded.counted`)."""
    paths = encoded.paths
    size = len(paths.keys)
    states = size + 3
    conversion, null = size + 1, size + 2
    codes, starts = paths.codes, paths.starts[:-1]
    keep = np.ones(len(codes), dtype=np.bool_)
    keep[1:] = codes[1:] != codes[:-1]
    keep[starts] = True
    collapsed = codes[keep] + 1
    journey = paths.journey_of_touch[keep]
    last = np.ones(len(collapsed), dtype=np.bool_)
    last[:-1] = journey[1:] != journey[:-1]
    first = np.ones(len(collapsed), dtype=np.bool_)
    first[1:] = last[:-1]
    following = np.empty_like(collapsed)
    following[:-1] = collapsed[1:]
    following[last] = np.where(paths.converted[journey[last]], conversion, null)
    sources = np.concatenate((np.zeros(int(first.sum()), np.int64), collapsed))
    targets = np.concatenate((collapsed[first], following))
    counts = np.bincount(sources * states + targets, minlength=states * states)
    matrix = counts.reshape(states, states).astype(np.float64)
    for origin, target, n in encoded.counted:
        matrix[origin + 1, null if target < 0 else target + 1] += n
    return matrix, size


def removal_effects(encoded: Encoded) -> tuple[float, Floats]:
    """P(conversion) from the start state and each key's removal effect
    RE(k) = 1 - P(conversion with k removed) / P(conversion), exactly.

    With Z = (I - Q)⁻¹ over the transient states (start and the keys) and x the absorption
    probabilities into conversion, removing k (every transition into k goes to null) leaves
    P(conversion) - h(start → k) · x[k], where h(start → k) = Z[start, k] / Z[k, k] is the
    probability of ever reaching k: one matrix inverse for all keys, no simulation."""
    counts, size = transition_counts(encoded)
    if size == 0:
        return 0.0, np.zeros(0)
    transient = counts[: size + 1]
    totals = transient.sum(axis=1)
    # The start state always has an outgoing transition (size > 0); a key that appears has
    # one too (to the next key, conversion or null), so no row is empty.
    probabilities = transient / totals[:, None]
    q = probabilities[:, : size + 1]
    to_conversion = probabilities[:, size + 1]
    z = np.linalg.inv(np.eye(size + 1) - q)
    x = z @ to_conversion
    p_conversion = float(x[0])
    if p_conversion <= 0.0:
        return 0.0, np.zeros(size)
    reached = z[0, 1:] / np.diagonal(z)[1:]
    # Rounding can leave a key that carries nothing a hair below zero.
    effects: Floats = np.clip(reached * x[1:] / p_conversion, 0.0, 1.0)
    return p_conversion, effects


def markov(encoded: Encoded) -> dict[str, Credit]:
    """Markov chain removal effect (first order): each journey is the path start → its keys
    (consecutive repeats collapsed) → conversion, or → null for a non-converting journey;
    transition probabilities are the journeys' transition counts. A key's removal effect is
    RE(k) = 1 - P(conversion with k removed) / P(conversion), where removing k sends every
    transition into k to null, computed exactly from the absorbing chain; the converting
    journeys' conversions and revenue are credited in proportion RE(k) / ΣRE (Anderl et al.
    2016)."""
    paths = encoded.paths
    converted = paths.converted
    total_conversions = float(paths.conversions[converted].sum())
    total_revenue = float(paths.revenue[converted].sum())
    _, effects = removal_effects(encoded)
    total_effect = float(effects.sum())
    if total_effect <= 0.0:
        # Nothing converted: a converting journey's last key always has RE(k) > 0.
        zeros = np.zeros(len(paths.keys))
        return encoded.credits(zeros, zeros)
    shares = effects / total_effect
    return encoded.credits(total_conversions * shares, total_revenue * shares)
