"""New vs returning visitors (seed 001 query 3), per domain.

A visitor is a (domain, visitor id) pair. Its sessions are counted WITHIN the report's
period and filters (seed 001 counts sessions per visitor; the period keeps "frequent" a
statement about the range the user looks at, and the count comes from `session_facts`
without reading history before the range): 1 session → new, 2-3 → returning, 4 or more →
frequent. A visitor converted when a lead created in the period carries its visitor id
(`conversion_facts.visitor_ids`: the lead's visitor and its contact's other visitors).

The sessions and page views per visitor come from the visitor sets (`visitor_sets`: a
visitor number and a page-view count per session) and are counted in memory
(`numpy.bincount`), the converted ones from the numbers of the period's leads' visitors
(`lead_sets`); with a content or term filter, or before the first refresh, they are
counted per visitor in SQL over the sessions. Figures in bench/README.md.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import schemas
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service import lead_sets, rollups, visitor_sets
from rastro.analytics.service.overview import Scope, ratio, report_range

SEGMENTS: tuple[schemas.VisitorSegmentName, ...] = ("new", "returning", "frequent")


MEASURES = ("visitors", "sessions", "page_views", "converted")


def _segment_row(
    name: schemas.VisitorSegmentName, counts: dict[str, int]
) -> schemas.VisitorSegment:
    visitors, sessions, page_views, converted = (counts.get(m, 0) for m in MEASURES)
    return schemas.VisitorSegment(
        segment=name,
        visitors=visitors,
        sessions=sessions,
        page_views=page_views,
        pages_per_visitor=ratio(page_views, visitors),
        sessions_per_visitor=ratio(sessions, visitors),
        converted_visitors=converted,
        conversion_rate=ratio(converted, visitors),
    )


Counts = dict[str, dict[str, int]]  # segment → measure → value


def _segments_of(numbers: np.ndarray, page_views: np.ndarray, leads: np.ndarray) -> Counts:
    """Per segment, the visitors (numbers), their sessions (one number each), page views
    and how many of them are among `leads`' numbers."""
    sessions = np.bincount(numbers)
    views = np.bincount(numbers, weights=page_views, minlength=sessions.size)
    converted = np.zeros(sessions.size, dtype=np.bool_)
    converted[leads[leads < sessions.size]] = True
    result: Counts = {}
    for name, chosen in (
        ("new", sessions == 1),
        ("returning", (sessions >= 2) & (sessions <= 3)),
        ("frequent", sessions >= 4),
    ):
        if not chosen.any():  # as the SQL count: no row for an empty segment
            continue
        result[name] = {
            "visitors": int(np.count_nonzero(chosen)),
            "sessions": int(sessions[chosen].sum()),
            "page_views": round(float(views[chosen].sum())),
            "converted": int(np.count_nonzero(chosen & converted)),
        }
    return result


async def _from_sets(bi: AsyncSession, scope: Scope) -> dict[uuid.UUID, Counts]:
    """Per domain, the segments from the visitor sets (sessions and page views per visitor
    counted in memory)."""
    sets = await visitor_sets.session_sets(bi, scope, "domain_id", with_page_views=True)
    if not sets.numbers:
        return {}
    leads = await lead_sets.lead_numbers(bi, scope, sets.unnumbered)
    return {
        uuid.UUID(str(domain_id)): _segments_of(numbers, sets.page_views[domain_id], leads)
        for domain_id, numbers in sets.numbers.items()
        if domain_id is not None and numbers.size
    }


async def returning_visitors(bi: AsyncSession, scope: Scope) -> schemas.ReturningVisitors:
    """Visitors of the period grouped new / returning / frequent by their number of
    sessions in it, with pages per visitor and the share that became leads, per domain."""
    if visitor_sets.answers(scope, "domain_id"):
        by_domain = await _from_sets(bi, scope)
    else:
        by_domain = await _from_sessions(bi, scope)
    totals: Counts = {s: dict.fromkeys(MEASURES, 0) for s in SEGMENTS}
    for segments in by_domain.values():
        for name, counts in segments.items():
            for measure, value in counts.items():
                totals[name][measure] += value
    return schemas.ReturningVisitors(
        range=report_range(scope),
        sessions_counted="period",
        segments=[_segment_row(s, totals[s]) for s in SEGMENTS],
        by_domain=[
            schemas.DomainVisitorSegments(
                domain_id=domain_id,
                segments=[_segment_row(s, segments.get(s, {})) for s in SEGMENTS],
            )
            for domain_id, segments in sorted(by_domain.items(), key=lambda d: str(d[0]))
        ],
    )


async def _from_sessions(bi: AsyncSession, scope: Scope) -> dict[uuid.UUID, Counts]:
    """Per domain, the segments counted per visitor in SQL over the period's sessions
    (`session_facts` and the raw ones): when no visitor set answers the filters."""
    period = scope.period
    visits = rollups.visitor_keys(
        period.start, period.end, scope.through, extra=("visitor_id", "page_views")
    )
    per_visitor = (
        select(
            visits.c.domain_id,
            visits.c.visitor_id,
            func.count().label("sessions"),
            func.sum(visits.c.page_views).label("page_views"),
        )
        .where(*report_filters.conditions(visits, scope.filters))
        .group_by(visits.c.domain_id, visits.c.visitor_id)
        .subquery("per_visitor")
    )
    lead_visitors = (
        select(func.unnest(ConversionFact.visitor_ids).label("visitor_id"))
        .where(ConversionFact.created_at >= period.start, ConversionFact.created_at < period.end)
        .distinct()
        .subquery("lead_visitors")
    )
    segment = case(
        (per_visitor.c.sessions == 1, "new"),
        (per_visitor.c.sessions <= 3, "returning"),
        else_="frequent",
    ).label("segment")
    rows = await bi.execute(
        select(
            per_visitor.c.domain_id,
            segment,
            func.count().label("visitors"),
            func.sum(per_visitor.c.sessions).label("sessions"),
            func.sum(per_visitor.c.page_views).label("page_views"),
            func.count(lead_visitors.c.visitor_id).label("converted"),
        )
        # A FULL join (PostgreSQL runs it as a hash or merge join, never a nested loop):
        # the filters on the union of stored and raw sessions can make the planner expect
        # a handful of visitors where there are 100,000, and a LEFT join then ran as a
        # nested loop for 90 s on the benchmark. The leads' visitors without a session
        # in the period come out with no domain and are left out below.
        .join(
            lead_visitors,
            lead_visitors.c.visitor_id == per_visitor.c.visitor_id,
            full=True,
        )
        .group_by(per_visitor.c.domain_id, segment)
        .order_by(per_visitor.c.domain_id)
    )
    by_domain: dict[uuid.UUID, Counts] = defaultdict(dict)
    for row in rows:
        if row.domain_id is None:  # visitors of the period's leads only
            continue
        by_domain[row.domain_id][row.segment] = {m: int(getattr(row, m)) for m in MEASURES}
    return dict(by_domain)
