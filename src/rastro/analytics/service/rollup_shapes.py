"""The shapes of the rollups: their dimensions and measures, the levels of each rollup
(`Rollup`: which table answers which dimensions) and the days a refresh or a report
covers (`Window`). `rollups` writes and reads them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    cast,
    func,
    literal,
    or_,
)
from sqlalchemy.sql import ColumnElement

from rastro.analytics import models, month_models

# A session is still written to this long after it started (30 idle minutes end a visit;
# a long one, or a late batch, rarely goes past a few hours).

LATE_SESSIONS = timedelta(hours=6)
# Lead outcomes written this long before a refresh began may commit after it read them.
LATE_OUTCOMES = timedelta(minutes=10)
# Memory for the refresh's sorts and hashes (one transaction; `SET LOCAL`).
REFRESH_WORK_MEM = "256MB"

DIMENSIONS = (
    "domain_id",
    "landing_page_id",
    "channel",
    "source",
    "medium",
    "campaign",
    "content",
    "term",
    "device",
)
# The session_facts columns the aggregates read beside the dimensions.
SESSION_COLUMNS = ("session_id", "page_views", "events", "duration", "converted")
MEASURES = (
    "sessions",
    "new_sessions",
    "bounces",
    "page_views",
    "events",
    "duration",
    "converted_sessions",
    "leads",
    "score_points",
    "conversion_seconds",
    "conversion_timed",
    "qualified",
    "won",
    "revenue",
    "sales_cycle_seconds",
)


def local_day(moment: Any, timezone: str) -> ColumnElement[date]:
    """The calendar day of a UTC instant in `timezone`."""
    return cast(func.timezone(timezone, moment), Date)


@dataclass(frozen=True)
class Rollup:
    """One rollup: its tables, smallest level first (the last, `complete`, has every
    dimension the others have), the key columns after the dimensions and the additive
    measures; `months`, when given, the same levels per local month (`month_models`; None
    for a level without one)."""

    levels: tuple[type[Any], ...]
    keys: tuple[str, ...]
    measures: tuple[str, ...]
    # How long before a row's moment its session may have started (page views: a visit).
    session_lead: timedelta = timedelta(0)
    months: tuple[type[Any] | None, ...] = ()

    def month_of(self, level: type[Any]) -> type[Any] | None:
        """The month level of a day level (None: it has none)."""
        return self.months[self.levels.index(level)] if self.months else None

    @staticmethod
    def dimensions(level: type[Any]) -> tuple[str, ...]:
        """The dimensions a level keeps."""
        return tuple(d for d in DIMENSIONS if d in level.__table__.c)

    def level_for(self, needed: Iterable[str]) -> type[Any] | None:
        """The smallest level that has every dimension in `needed` (None: none has)."""
        wanted = set(needed)
        return next((lv for lv in self.levels if wanted <= set(self.dimensions(lv))), None)

    @property
    def complete(self) -> type[Any]:
        """The level aggregated from the facts (the others are summed from it)."""
        return self.levels[-1]

    def columns(self, level: type[Any]) -> list[str]:
        return ["day", *self.dimensions(level), *self.keys, *self.measures]


CONVERSIONS = Rollup(
    (
        models.ConversionsByChannel,
        models.ConversionsByPage,
        models.ConversionsByCampaign,
        models.ConversionSummary,
    ),
    ("currency",),
    MEASURES,
    months=(
        month_models.MonthlyConversionsByChannel,
        month_models.MonthlyConversionsByPage,
        month_models.MonthlyConversionsByCampaign,
        None,  # the complete level has none (`month_models`)
    ),
)
EVENTS = Rollup(
    (
        models.EventTypesByChannel,
        models.EventTypesByPage,
    ),
    ("event_type",),
    ("events", "sessions_with_event"),
    months=(
        month_models.MonthlyEventTypesByChannel,
        month_models.MonthlyEventTypesByPage,
    ),
)
PATHS = Rollup(
    (
        models.PagePathsBySite,
        models.PagePathsByChannel,
    ),
    ("page_path",),
    ("views", "entries", "exits"),
    LATE_SESSIONS,
    months=(month_models.MonthlyPagePathsBySite, month_models.MonthlyPagePathsByChannel),
)


@dataclass(frozen=True)
class Window:
    """Which moments an aggregate covers, in the days of `timezone`: those in
    [after, before) (either open when None) whose local day is `from_day` or later or one
    of `days` (every day when neither is given)."""

    timezone: str
    after: datetime | None = None
    before: datetime | None = None
    from_day: date | None = None
    days: tuple[date, ...] = ()

    @property
    def every_day(self) -> bool:
        return self.from_day is None and not self.days

    @property
    def bound(self) -> datetime | None:
        """An instant no covered moment is before (lets PostgreSQL use its indexes)."""
        firsts = [d for d in (self.from_day, *self.days) if d is not None]
        # A day's local midnight is within a day of its UTC midnight in any timezone.
        day_bound = (
            datetime.combine(min(firsts), time(0), tzinfo=UTC) - timedelta(days=1)
            if firsts
            else None
        )
        bounds = [b for b in (self.after, day_bound) if b is not None]
        return max(bounds) if bounds else None

    def moments(self, moment: Any) -> list[ColumnElement[bool]]:
        """Conditions on a timestamp column: the moment is covered."""
        conditions: list[ColumnElement[bool]] = [moment.is_not(None)]
        if (bound := self.bound) is not None:
            conditions.append(moment >= bound)
        if self.before is not None:
            conditions.append(moment < self.before)
        if not self.every_day:
            conditions.append(self.rows(local_day(moment, self.timezone)))
        return conditions

    def rows(self, day: Any) -> ColumnElement[bool]:
        """Condition on a rollup's `day`: the rows this window replaces."""
        if self.every_day:
            return literal(True)
        covered = [day >= self.from_day] if self.from_day is not None else []
        if self.days:
            covered.append(day.in_(self.days))
        return or_(*covered)
