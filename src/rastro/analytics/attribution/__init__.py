"""Attribution models: how each model splits the conversions and revenue of converting
journeys over channels, sources, campaigns or contents. Pure functions, no database.

Every model has the signature of `AttributionModel`, reads the same journeys, and credits
exactly the conversions and revenue of the converting ones (a converting journey with no
touch is credited to "(untracked)" by every model). The result has every key that appears
in a journey's touches, with 0.0 where the model gives it nothing."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Literal, Protocol, get_args

from rastro.analytics.attribution import rules
from rastro.analytics.attribution.journeys import (
    LEVELS,
    NONE_KEY,
    UNTRACKED,
    CountedJourneys,
    Credit,
    Encoded,
    Journey,
    Level,
    Touch,
    touch_key,
)
from rastro.analytics.attribution.markov import markov as _markov
from rastro.analytics.attribution.shapley import shapley as _shapley

ModelName = Literal[
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
]
MODEL_NAMES: tuple[ModelName, ...] = get_args(ModelName)
DEFAULT_HALF_LIFE_DAYS = 7.0


class AttributionModel(Protocol):
    """A model: the credit of each key at `level` for the given journeys."""

    def __call__(
        self,
        journeys: Sequence[Journey],
        *,
        level: Level,
        half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    ) -> dict[str, Credit]: ...


_OnEncoded = Callable[[Encoded, float], dict[str, Credit]]

_ON_ENCODED: dict[ModelName, tuple[_OnEncoded, Callable[..., object]]] = {
    "first_touch": (lambda e, _: rules.first_touch(e), rules.first_touch),
    "last_touch": (lambda e, _: rules.last_touch(e), rules.last_touch),
    "last_non_direct": (lambda e, _: rules.last_non_direct(e), rules.last_non_direct),
    "linear": (lambda e, _: rules.linear(e), rules.linear),
    "time_decay": (
        lambda e, half_life: rules.time_decay(e, half_life_days=half_life),
        rules.time_decay,
    ),
    "position_based": (lambda e, _: rules.position_based(e), rules.position_based),
    "markov": (lambda e, _: _markov(e), _markov),
    "shapley": (lambda e, _: _shapley(e), _shapley),
}

# Each model's definition and source, as its docstring says (shown in the API docs).
MODEL_DEFINITIONS: dict[ModelName, str] = {
    name: " ".join((inspect.getdoc(documented) or "").split())
    for name, (_, documented) in _ON_ENCODED.items()
}


def _model(name: ModelName) -> AttributionModel:
    run, documented = _ON_ENCODED[name]

    def credit(
        journeys: Sequence[Journey],
        *,
        level: Level,
        half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    ) -> dict[str, Credit]:
        return run(Encoded(journeys, level), half_life_days)

    credit.__name__ = credit.__qualname__ = name
    credit.__doc__ = documented.__doc__
    return credit


MODELS: dict[ModelName, AttributionModel] = {name: _model(name) for name in MODEL_NAMES}


def credit_all(
    journeys: Sequence[Journey],
    *,
    level: Level,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    models: Sequence[ModelName] = MODEL_NAMES,
    counted: CountedJourneys | None = None,
) -> dict[ModelName, dict[str, Credit]]:
    """Several models over the same journeys, encoded once (for a side-by-side comparison);
    `counted` adds non-converting journeys by their transitions (read by Markov only; their
    keys get every other model's 0.0)."""
    encoded = Encoded(journeys, level, counted)
    return {name: _ON_ENCODED[name][0](encoded, half_life_days) for name in models}


__all__ = [
    "DEFAULT_HALF_LIFE_DAYS",
    "LEVELS",
    "MODELS",
    "MODEL_DEFINITIONS",
    "MODEL_NAMES",
    "NONE_KEY",
    "UNTRACKED",
    "AttributionModel",
    "CountedJourneys",
    "Credit",
    "Journey",
    "Level",
    "ModelName",
    "Touch",
    "credit_all",
    "touch_key",
]
