"""The rollups per local day, in levels, maintained incrementally, and the same aggregate
over the raw rows for the moments they have not reached yet.

Each rollup (`CONVERSIONS`, `EVENTS`, `PATHS`) is kept at several levels, smallest first:
the last has every dimension and is aggregated from `session_facts`, `conversion_facts`
and tracking's events and page views; the others are summed from it (one code path for
every level). A report asks for the dimensions it groups by; with those of its filters,
`Rollup.level_for` picks the smallest level that has them all.

`rollup_refresh.refresh` (every 5 minutes from the worker, or on demand) rewrites them and
records `through`, the moment it started: the rollups then hold exactly the rows whose
moment (a session's start, a lead's creation, qualification or win, a page view) is before
it, grouped by the organization's local day (`rollup_state.timezone`). A new organization
timezone makes the next refresh a full one; until then the reports read the raw rows
(`rollup_through` gives None). Readers add the raw aggregate of [max(start, through),
end), so the newest minutes are always counted; a reader not grouped by day takes whole
months from the month levels (`rollup_months`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    cast,
    extract,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause, Subquery

from rastro.analytics.models import ConversionFact, RollupState, SessionFact
from rastro.analytics.schemas import Period
from rastro.analytics.service import rollup_months
from rastro.analytics.service.rollup_shapes import (
    CONVERSIONS as CONVERSIONS,
)
from rastro.analytics.service.rollup_shapes import (
    DIMENSIONS as DIMENSIONS,
)
from rastro.analytics.service.rollup_shapes import (
    EVENTS as EVENTS,
)
from rastro.analytics.service.rollup_shapes import (
    LATE_SESSIONS as LATE_SESSIONS,
)
from rastro.analytics.service.rollup_shapes import (
    MEASURES as MEASURES,
)
from rastro.analytics.service.rollup_shapes import (
    PATHS as PATHS,
)
from rastro.analytics.service.rollup_shapes import (
    REFRESH_WORK_MEM as REFRESH_WORK_MEM,
)
from rastro.analytics.service.rollup_shapes import (
    SESSION_COLUMNS as SESSION_COLUMNS,
)
from rastro.analytics.service.rollup_shapes import (
    Rollup as Rollup,
)
from rastro.analytics.service.rollup_shapes import (
    Window as Window,
)
from rastro.analytics.service.rollup_shapes import (
    local_day as local_day,
)
from rastro.tracking.service import facts as tracking_facts


def _zero(*, except_: dict[str, Any]) -> list[ColumnElement[Any]]:
    return [(except_[m] if m in except_ else literal(0)).label(m) for m in MEASURES]


def _seconds(later: Any, earlier: Any) -> ColumnElement[int]:
    return cast(func.round(extract("epoch", later - earlier)), Integer)


def conversion_rows(
    sessions: FromClause, window: Window, dimensions: tuple[str, ...] = DIMENSIONS
) -> Select[Any]:
    """Rows (day, `dimensions`, currency, measures) of the sessions of `sessions` (a table
    or subquery with session_facts' columns) and of `conversion_facts`, in `window`."""
    f = ConversionFact
    tz = window.timezone

    def fact_part(moment: Any, measures: dict[str, Any]) -> Select[Any]:
        currency = f.currency if "won" in measures else cast(null(), String(3))
        return select(
            local_day(moment, tz).label("day"),
            *(getattr(f, d) for d in dimensions),
            currency.label("currency"),
            *_zero(except_=measures),
        ).where(*window.moments(moment))

    c = sessions.c
    session_part = select(
        local_day(c.started_at, tz).label("day"),
        *(c[d] for d in dimensions),
        cast(null(), String(3)).label("currency"),
        *_zero(
            except_={
                "sessions": literal(1),
                "new_sessions": cast(c.is_new, Integer),
                "bounces": cast(c.page_views <= 1, Integer),
                "page_views": c.page_views,
                "events": c.events,
                "duration": c.duration,
                "converted_sessions": cast(c.converted, Integer),
            }
        ),
    ).where(*window.moments(c.started_at))
    parts = union_all(
        session_part,
        fact_part(
            f.created_at,
            {
                "leads": literal(1),
                "score_points": f.score_points,
                "conversion_seconds": func.coalesce(f.time_to_conversion, 0),
                "conversion_timed": cast(f.time_to_conversion.is_not(None), Integer),
            },
        ),
        fact_part(f.qualified_at, {"qualified": literal(1)}),
        fact_part(
            f.won_at,
            {
                "won": literal(1),
                "revenue": func.coalesce(f.revenue, 0),
                "sales_cycle_seconds": _seconds(f.won_at, f.created_at),
            },
        ),
    ).subquery("parts")
    keys = [parts.c.day, *(parts.c[d] for d in dimensions), parts.c.currency]
    return select(*keys, *(func.sum(parts.c[m]).label(m) for m in MEASURES)).group_by(*keys)


def session_facts_source(since: datetime | None) -> Select[Any]:
    """Tracking's sessions shaped as `session_facts` rows (without the organization)."""
    dims = tracking_facts.session_dimensions(since).subquery("raw_sessions")
    return select(
        dims.c.session_id,
        dims.c.started_at,
        dims.c.visitor_id,
        func.hashtextextended(dims.c.visitor_id, 0).label("visitor_key"),
        *(dims.c[d] for d in DIMENSIONS),
        dims.c.page_views,
        dims.c.events,
        _seconds(dims.c.last_activity_at, dims.c.started_at).label("duration"),
        dims.c.converted,
        dims.c.is_new,
    )


def raw_sessions(since: datetime | None = None) -> Subquery:
    """Tracking's sessions since `since` with session_facts' columns (the newest minutes)."""
    return session_facts_source(since).subquery("live_sessions")


async def has_rollups(bi: AsyncSession) -> bool:
    """Whether the organization's rollups were ever refreshed."""
    return await bi.scalar(select(RollupState.through)) is not None


async def rollup_through(bi: AsyncSession, timezone: str) -> datetime | None:
    """The moment before which the rollups hold every row, grouped in the days of
    `timezone` (None: never refreshed, or built for another timezone: read the raw rows)."""
    state = (await bi.execute(select(RollupState.through, RollupState.timezone))).first()
    if state is None or state.timezone != timezone:
        return None
    through: datetime = state.through
    return through


async def covered_through(
    bi: AsyncSession, organization_ids: Iterable[uuid.UUID]
) -> datetime | None:
    """The moment before which the rollups of every one of the organizations hold every
    row (the earliest of their watermarks); None when one was never refreshed or awaits a
    full rebuild (its rollups are not complete). The session needs the system scope."""
    wanted = set(organization_ids)
    if not wanted:
        return None
    states = (
        await bi.execute(
            select(RollupState.organization_id, RollupState.through, RollupState.timezone).where(
                RollupState.organization_id.in_(wanted)
            )
        )
    ).all()
    if len(states) < len(wanted) or any(state.timezone is None for state in states):
        return None
    earliest: datetime = min(state.through for state in states)
    return earliest


LiveRows = Callable[[FromClause, Window, tuple[str, ...]], Select[Any]]


def read(
    rollup: Rollup,
    period: Period,
    through: datetime | None,
    timezone: str,
    dimensions: Iterable[str],
    live: LiveRows,
    *,
    days: bool = True,
) -> Subquery:
    """Rows of `period` at the smallest level with `dimensions`: the stored days, holding
    the moments before `through`, and `live`'s aggregate (sessions, window, dimensions)
    of the raw rows of [max(start, through), end). When no level has the dimensions,
    `live` aggregates the whole period, its sessions from `session_facts` and tracking.
    Without `days` the rows have no `day` column, and the period's whole months are read
    from the rollup's month levels (`rollup_months`) instead of their days."""
    level = rollup.level_for(dimensions)
    start, end = period.start, period.end
    split = min(max(through if through is not None else start, start), end)
    if level is None:
        sessions = visitor_keys(start - rollup.session_lead, end, through, extra=SESSION_COLUMNS)
        window = Window(timezone, after=start, before=end)
        rows = live(sessions, window, DIMENSIONS).subquery("raw_rows")
        kept = [c for c in rows.c if days or c.name != "day"]
        return select(*kept).subquery("rollup")
    names = rollup.columns(level)[0 if days else 1 :]
    parts = rollup_months.stored_parts(
        rollup, level, period.date_from, period.date_to, names, months=not days
    )
    if split >= end:
        return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("rollup")
    window = Window(timezone, after=split, before=end)
    fresh = live(raw_sessions(split - rollup.session_lead), window, rollup.dimensions(level))
    fresh_rows = fresh.subquery("fresh")
    shaped = select(*(fresh_rows.c[c] for c in names))
    if split <= start:
        return shaped.subquery("rollup")
    return union_all(*parts, shaped).subquery("rollup")


def summary_rows(
    period: Period,
    through: datetime | None,
    timezone: str,
    dimensions: Iterable[str] = (),
    *,
    days: bool = True,
) -> Subquery:
    """Conversion rows (day, dimensions, currency, measures) of `period` at the smallest
    level with `dimensions`, the newest minutes aggregated from the raw rows (without
    `day`, and the whole months from the month levels, unless `days`)."""

    return read(CONVERSIONS, period, through, timezone, dimensions, conversion_rows, days=days)


def visitor_keys(
    start: datetime, end: datetime, through: datetime | None, *, extra: tuple[str, ...] = ()
) -> Subquery:
    """Sessions (visitor_key and dimensions, and the `extra` session_facts columns) started
    in [start, end): from session_facts before `through`, from the raw sessions after."""
    columns = ["started_at", "visitor_key", "is_new", *DIMENSIONS, *extra]
    split = min(max(through if through is not None else start, start), end)
    stored = select(*(getattr(SessionFact, c) for c in columns)).where(
        SessionFact.started_at >= start, SessionFact.started_at < split
    )
    if split >= end:
        return stored.subquery("visits")
    raw = raw_sessions(split)
    live = select(*(raw.c[c] for c in columns)).where(raw.c.started_at < end)
    if split <= start:
        return live.subquery("visits")
    return union_all(stored, live).subquery("visits")


__all__ = [
    "CONVERSIONS",
    "DIMENSIONS",
    "EVENTS",
    "MEASURES",
    "PATHS",
    "Rollup",
    "Window",
    "conversion_rows",
    "has_rollups",
    "read",
    "rollup_through",
    "summary_rows",
    "visitor_keys",
]
