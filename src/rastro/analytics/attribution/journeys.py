"""The input of the attribution models: a person's touches before a conversion (or before
nothing, for the Markov chain's non-converting journeys), and the same journeys encoded once
as flat arrays so that each model is a few array operations rather than a loop per touch."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from rastro.tracking.channels import DIRECT

Level = Literal["channel", "source", "campaign", "content"]
LEVELS: tuple[Level, ...] = get_args(Level)

# The key of a touch without the level's value (a visit with no utm_campaign, say).
NONE_KEY = "(none)"
# The key that a converting journey without any touch is credited to, at every level and
# by every model: the lead or sale was recorded but no visit of that person was tracked
# within the lookback, so no model has anything else to credit.
UNTRACKED = "(untracked)"

Floats = npt.NDArray[np.float64]
Numbers = npt.NDArray[np.number[Any]]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Touch:
    """One visit's traffic source: when it landed and where it came from."""

    at: datetime
    channel: str
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    # Read by the join to ad spend (no model credits by them).
    term: str | None = None
    utm_id: str | None = None
    click_id: str | None = None  # a Google click id standing alone (no utm_campaign/utm_id)


@dataclass(frozen=True, slots=True)
class Journey:
    """A person's touches in chronological order up to the conversion at `converted_at`, or
    up to the end of the range for a non-converting journey (`converted_at` None)."""

    touches: tuple[Touch, ...]
    converted_at: datetime | None
    conversions: float = 0.0
    revenue: float = 0.0


@dataclass(frozen=True, slots=True)
class Credit:
    """The conversions and revenue a model credits to one key."""

    conversions: float
    revenue: float


def _channel(touch: Touch) -> str:
    return touch.channel


def _source(touch: Touch) -> str:
    return touch.source or NONE_KEY


def _campaign(touch: Touch) -> str:
    return touch.campaign or NONE_KEY


def _content(touch: Touch) -> str:
    return touch.content or NONE_KEY


KEY_OF: dict[Level, Callable[[Touch], str]] = {
    "channel": _channel,
    "source": _source,
    "campaign": _campaign,
    "content": _content,
}


def touch_key(touch: Touch, level: Level) -> str:
    """The key a touch is credited under at `level` (a missing value is "(none)")."""
    return KEY_OF[level](touch)


class Paths:
    """Journeys with at least one touch, encoded at one level: touch i of the flat arrays
    belongs to journey j for starts[j] <= i < starts[j + 1]; codes index `keys`."""

    def __init__(self, journeys: Sequence[Journey], keys: list[str], codes: Ints) -> None:
        self.journeys = journeys
        self.keys = keys
        self.codes = codes
        count = len(journeys)
        self.lengths: Ints = np.fromiter((len(j.touches) for j in journeys), np.int64, count)
        self.starts: Ints = np.concatenate(([0], np.cumsum(self.lengths)))
        self.conversions: Floats = np.fromiter((j.conversions for j in journeys), np.float64, count)
        self.revenue: Floats = np.fromiter((j.revenue for j in journeys), np.float64, count)
        self.converted: Bools = np.fromiter(
            (j.converted_at is not None for j in journeys), np.bool_, count
        )

    @classmethod
    def encode(cls, journeys: Sequence[Journey], level: Level) -> Paths:
        """Encode journeys (each with at least one touch) at `level`."""
        index: dict[str, int] = {}
        key_of = KEY_OF[level]
        codes = [
            index.setdefault(key_of(touch), len(index))
            for journey in journeys
            for touch in journey.touches
        ]
        return cls(journeys, list(index), np.array(codes, dtype=np.int64))

    def converting(self) -> Paths:
        """The converting journeys only, with the same keys."""
        touch_mask = np.repeat(self.converted, self.lengths)
        journeys = [j for j in self.journeys if j.converted_at is not None]
        return Paths(journeys, self.keys, self.codes[touch_mask])

    @property
    def journey_of_touch(self) -> Ints:
        """For each touch, the index of its journey."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths)

    @cached_property
    def is_direct(self) -> Bools:
        """For each touch, whether its channel is Direct (whatever the level)."""
        return np.fromiter(
            (t.channel == DIRECT for j in self.journeys for t in j.touches),
            np.bool_,
            len(self.codes),
        )

    @cached_property
    def age_days(self) -> Floats:
        """For each touch, the days from it to its journey's conversion (never negative)."""
        at = np.fromiter(
            (t.at.timestamp() for j in self.journeys for t in j.touches),
            np.float64,
            len(self.codes),
        )
        converted = np.fromiter(
            (j.converted_at.timestamp() if j.converted_at else np.nan for j in self.journeys),
            np.float64,
            len(self.journeys),
        )
        # A touch stamped after its conversion (clock skew) counts as at the conversion.
        return np.maximum(np.repeat(converted, self.lengths) - at, 0.0) / 86400.0


@dataclass(frozen=True, slots=True)
class CountedJourneys:
    """Non-converting journeys given by their transitions at one level rather than one by
    one (the database counts them): journeys per (from, to) between keys, consecutive
    repeats collapsed, `from` None being the start state and `to` None the null state."""

    level: Level
    transitions: Mapping[tuple[str | None, str | None], int]

    @property
    def journeys(self) -> int:
        """How many journeys: each leaves the start state once."""
        return sum(n for (origin, _), n in self.transitions.items() if origin is None)


class Encoded:
    """Journeys ready for the models: those with touches encoded at one level, and the
    totals of the converting journeys without any touch (credited to UNTRACKED); with
    `counted`, more non-converting journeys by their transitions (their keys come after
    the journeys' own, in sorted order; only Markov reads the transitions)."""

    def __init__(
        self, journeys: Sequence[Journey], level: Level, counted: CountedJourneys | None = None
    ) -> None:
        self.paths = Paths.encode([j for j in journeys if j.touches], level)
        self.counted: list[tuple[int, int, int]] = []  # (from code or -1, to code or -1, n)
        if counted is not None:
            if counted.level != level:
                raise ValueError(f"journeys counted at {counted.level}, credited at {level}")
            index = {key: code for code, key in enumerate(self.paths.keys)}
            named = {k for pair in counted.transitions for k in pair if k is not None}
            for key in sorted(named - index.keys()):
                index[key] = len(self.paths.keys)
                self.paths.keys.append(key)
            self.counted = [
                (
                    -1 if origin is None else index[origin],
                    -1 if target is None else index[target],
                    n,
                )
                for (origin, target), n in counted.transitions.items()
            ]
        untracked = [j for j in journeys if j.converted_at is not None and not j.touches]
        self.untracked_conversions = float(sum(j.conversions for j in untracked))
        self.untracked_revenue = float(sum(j.revenue for j in untracked))

    @cached_property
    def converting(self) -> Paths:
        """The converting journeys with touches (what the rule-based models read)."""
        return self.paths.converting()

    def credits(self, conversions: Numbers, revenue: Numbers) -> dict[str, Credit]:
        """Per-key credits (indexed like paths.keys) plus the untracked journeys' totals."""
        credits = {
            key: Credit(conversions=float(c), revenue=float(r))
            for key, c, r in zip(self.paths.keys, conversions, revenue, strict=True)
        }
        if self.untracked_conversions or self.untracked_revenue:
            previous = credits.get(UNTRACKED, Credit(0.0, 0.0))
            credits[UNTRACKED] = Credit(
                conversions=previous.conversions + self.untracked_conversions,
                revenue=previous.revenue + self.untracked_revenue,
            )
        return credits

    def credits_from_touch_weights(self, weights: Floats) -> dict[str, Credit]:
        """Credits from each converting touch's share of its journey (a journey's shares sum
        to 1; weights indexed like converting.codes)."""
        paths = self.converting
        size = len(paths.keys)
        conversions = np.repeat(paths.conversions, paths.lengths) * weights
        revenue = np.repeat(paths.revenue, paths.lengths) * weights
        return self.credits(
            np.bincount(paths.codes, weights=conversions, minlength=size),
            np.bincount(paths.codes, weights=revenue, minlength=size),
        )
