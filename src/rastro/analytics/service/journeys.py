"""Converting people's journeys, from the BI database: for each conversion, the ordered
touches of its person's visitors (`conversion_facts.visitor_ids`: the lead's visitor and its
contact's others) within a lookback up to the conversion, read through tracking's
`visitor_touches` in one set-based query (no query per conversion). The journey paths
report and the attribution models both read them here; the models also get the visitors
who touched in the range without converting (for the Markov chain).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    Select,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause

from rastro.analytics import schemas
from rastro.analytics.attribution import NONE_KEY, CountedJourneys, Journey, Level, Touch
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service import journey_store
from rastro.tracking.service import facts as tracking_facts

DEFAULT_LOOKBACK_DAYS = 90


def _touch_columns(touches: Any) -> list[Any]:
    return [
        touches.c.created_at,
        touches.c.channel,
        touches.c.source,
        touches.c.medium,
        touches.c.campaign,
        touches.c.content,
        touches.c.term,
        touches.c.utm_id,
        touches.c.click_id,
    ]


def _touch(row: Any) -> Touch:
    return Touch(
        at=row.created_at,
        channel=row.channel,
        source=row.source,
        medium=row.medium,
        campaign=row.campaign,
        content=row.content,
        term=row.term,
        utm_id=row.utm_id,
        click_id=row.click_id,
    )


async def journey_touches(
    bi: AsyncSession,
    conversions: FromClause,
    *,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[uuid.UUID, list[Touch]]:
    """Per conversion, its touches in time order within `lookback_days` before (and at) its
    moment. `conversions` is a selectable with columns lead_id, converted_at, visitor_ids
    and the fact's updated_at; conversions without a touch are absent from the result.
    The touches the refresh stored (`journey_store`) are read where current, the others'
    from the raw touches; `since`/`until`, when given, bound the conversions' moments so
    that PostgreSQL skips other months' partitions."""
    lookback = timedelta(days=lookback_days)
    journeys: dict[uuid.UUID, list[Touch]] = await journey_store.stored_touches(
        bi, conversions, lookback=lookback
    )
    raw = journey_store.missing(conversions).subquery("raw_conversions")
    person = (
        select(
            raw.c.lead_id,
            raw.c.converted_at,
            func.unnest(raw.c.visitor_ids).label("visitor_id"),
        )
        .distinct()
        .subquery("person")
    )
    # Joined on the visitor only: an `IN (person)` filter besides made PostgreSQL plan a
    # semi-join that scans the person list once per touch when it expects few people.
    touches = tracking_facts.visitor_touches().subquery("touches")
    bounds = []
    if since is not None:
        bounds.append(touches.c.created_at >= since - lookback)
    if until is not None:
        bounds.append(touches.c.created_at < until)
    rows = await bi.execute(
        select(person.c.lead_id, *_touch_columns(touches))
        .join_from(
            person,
            touches,
            and_(
                touches.c.visitor_id == person.c.visitor_id,
                touches.c.created_at <= person.c.converted_at,
                touches.c.created_at >= person.c.converted_at - lookback,
                *bounds,
            ),
        )
        .order_by(person.c.lead_id, touches.c.created_at, touches.c.session_id)
    )
    for row in rows:
        journeys.setdefault(row.lead_id, []).append(_touch(row))
    return journeys


def collapsed_channels(touches: list[Touch]) -> list[str]:
    """The journey's channels with consecutive repeats collapsed (A A B A → A B A)."""
    channels: list[str] = []
    for touch in touches:
        if not channels or channels[-1] != touch.channel:
            channels.append(touch.channel)
    return channels


@dataclass(frozen=True)
class JourneySet:
    """Journeys for the models, and what the report says about them."""

    journeys: list[Journey]
    converting: int
    untracked: int
    non_converting: int
    touches: int
    other_currencies: list[str]
    #: Each converting journey's sales cycle in seconds (won_at - created_at; 0 when not
    #: won), in the order of `journeys`.
    cycle_seconds: tuple[float, ...] = ()
    #: The non-converting journeys counted by transition in the database, per level
    #: (`load_journeys(count_non_converting=...)`), instead of being in `journeys`.
    counted: Mapping[Level, CountedJourneys] = field(default_factory=dict)

    def valued_by_cycle(self) -> list[Journey]:
        """The journeys with each converting one's sales cycle in place of its revenue: a
        model credits it like revenue, so a key's credited cycle ÷ its credited won deals
        is the average sales cycle of the deals credited to it (Markov spreads the total
        by its shares, so there every key gets the overall average)."""
        valued = [
            replace(journey, revenue=cycle)
            for journey, cycle in zip(self.journeys, self.cycle_seconds, strict=False)
        ]
        return valued + self.journeys[len(valued) :]


#: What converts: the API's kinds, plus qualified leads for the reports that credit them.
JourneyConversion = Literal["lead", "qualified", "won"]


def _conversions(
    period: schemas.Period, filters: schemas.ReportFilters, conversion: JourneyConversion
) -> Select[Any]:
    """The conversions in the period: lead_id, converted_at, revenue, cycle, currency,
    visitor_ids.

    A lead converts when created; a qualified lead when it first reached a qualified stage;
    a won deal when won. Revenue is the lead's won revenue (zero for a lead not won), cycle
    its sales cycle in seconds (zero when not won). The report's dimension filters select
    conversions by the lead's own session (its domain, landing page, channel, source, ...)."""
    facts = ConversionFact.__table__
    converted_at = {
        "lead": facts.c.created_at,
        "qualified": facts.c.qualified_at,
        "won": facts.c.won_at,
    }[conversion]
    return select(
        facts.c.lead_id,
        converted_at.label("converted_at"),
        func.coalesce(facts.c.revenue, 0).label("revenue"),
        func.coalesce(func.extract("epoch", facts.c.won_at - facts.c.created_at), 0).label("cycle"),
        facts.c.currency,
        facts.c.visitor_ids,
        facts.c.updated_at,
    ).where(
        converted_at >= period.start,
        converted_at < period.end,
        *report_filters.conditions(facts, filters),
    )


async def load_journeys(
    bi: AsyncSession,
    *,
    period: schemas.Period,
    filters: schemas.ReportFilters,
    conversion: JourneyConversion,
    lookback_days: int,
    currency: str,
    non_converting: bool,
    count_non_converting: tuple[Level, ...] = (),
) -> JourneySet:
    """The period's converting journeys (touches within `lookback_days` before each
    conversion), plus, when `non_converting`, one journey per visitor who touched in the
    period and is none of the converting people's; `count_non_converting` gives those
    journeys by their transitions at these levels instead, counted in the database (what
    Markov reads, without a Python object per touch). Revenue in other currencies than
    `currency` is left out and those currencies named."""
    conversions = _conversions(period, filters, conversion).cte("conversions")
    rows = (await bi.execute(select(conversions).order_by(conversions.c.converted_at))).all()
    by_lead = await journey_touches(
        bi, conversions, lookback_days=lookback_days, since=period.start, until=period.end
    )
    other_currencies = sorted({r.currency for r in rows if r.currency != currency and r.revenue})
    journeys = [
        Journey(
            touches=tuple(by_lead.get(row.lead_id, ())),
            converted_at=row.converted_at,
            conversions=1.0,
            revenue=float(row.revenue) if row.currency == currency else 0.0,
        )
        for row in rows
    ]
    untracked = sum(1 for j in journeys if not j.touches)
    touch_count = sum(len(j.touches) for j in journeys)
    converting_visitors = select(func.unnest(conversions.c.visitor_ids).label("visitor_id"))
    lost = await _non_converting(bi, period, converting_visitors) if non_converting else []
    counted = {
        level: await count_non_converting_at(bi, period, converting_visitors, level)
        for level in count_non_converting
    }
    return JourneySet(
        journeys=journeys + lost,
        converting=len(journeys),
        untracked=untracked,
        non_converting=(
            next(iter(counted.values())).journeys if counted and not lost else len(lost)
        ),
        touches=touch_count,
        other_currencies=other_currencies,
        cycle_seconds=tuple(float(row.cycle) for row in rows),
        counted=counted,
    )


def _not_converting(touches: Any, converting_visitors: Select[Any]) -> ColumnElement[bool]:
    """The touch's visitor is none of the converting people's (an anti-join: `NOT IN` over
    a hundred thousand visitors ran as a plain subplan, one list scan per touch)."""
    visitors = converting_visitors.subquery("converting_visitors")
    return ~exists().where(visitors.c.visitor_id == touches.c.visitor_id)


def _key(touches: Any, level: Level) -> ColumnElement[Any]:
    """The touch's key at `level` in SQL, as `attribution.touch_key` gives it in Python."""
    if level == "channel":
        return cast(touches.c.channel, Text)
    return func.coalesce(func.nullif(touches.c[level], ""), NONE_KEY)


async def count_non_converting_at(
    bi: AsyncSession, period: schemas.Period, converting_visitors: Select[Any], level: Level
) -> CountedJourneys:
    """The journeys of `_non_converting` at `level`, counted by transition in the
    database: start → first key, key → next different key, last key → null."""
    touches = tracking_facts.visitor_touches().subquery("touches")
    key = _key(touches, level)

    def ordered(function: Any) -> Any:
        return function.over(
            partition_by=touches.c.visitor_id,
            order_by=(touches.c.created_at, touches.c.session_id),
        )

    keyed = (
        select(
            key.label("key"),
            ordered(func.lag(key)).label("previous"),
            ordered(func.row_number()).label("position"),
            ordered(func.lead(literal(1))).label("following"),
        )
        .where(
            touches.c.created_at >= period.start,
            touches.c.created_at < period.end,
            _not_converting(touches, converting_visitors),
        )
        .subquery("keyed")
    )
    first = keyed.c.position == 1
    origin = case((first, null()), else_=keyed.c.previous)
    moves = (
        select(origin.label("origin"), keyed.c.key.label("target"), func.count().label("n"))
        .where(or_(first, keyed.c.previous.is_distinct_from(keyed.c.key)))
        .group_by(origin, keyed.c.key)
    )
    ends = (
        select(keyed.c.key, cast(null(), Text), func.count())
        .where(keyed.c.following.is_(None))
        .group_by(keyed.c.key)
    )
    rows = await bi.execute(union_all(moves, ends))
    return CountedJourneys(level, {(row.origin, row.target): row.n for row in rows})


async def _non_converting(
    bi: AsyncSession, period: schemas.Period, converting_visitors: Select[Any]
) -> list[Journey]:
    """One journey per visitor with touches in the period who is none of the converting
    people's visitors (each visitor's touches in the period, chronological)."""
    touches = tracking_facts.visitor_touches().subquery("touches")
    rows = await bi.execute(
        select(touches.c.visitor_id, *_touch_columns(touches))
        .where(
            touches.c.created_at >= period.start,
            touches.c.created_at < period.end,
            _not_converting(touches, converting_visitors),
        )
        .order_by(touches.c.visitor_id, touches.c.created_at, touches.c.session_id)
    )
    journeys: list[Journey] = []
    visitor: str | None = None
    current: list[Touch] = []
    for row in rows:
        if row.visitor_id != visitor and current:
            journeys.append(Journey(tuple(current), None))
            current = []
        visitor = row.visitor_id
        current.append(_touch(row))
    if current:
        journeys.append(Journey(tuple(current), None))
    return journeys
