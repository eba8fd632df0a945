"""The landing-page funnel (seed 001 query 2): per registered landing page (each A/B
variant is a page), the sessions that began on it → those with a `form_start` → leads
captured on it → qualified → won, with each step's rate.

Sessions and form starts are counted by the session's start, leads by their creation,
qualified and won by the day the lead got there (the rollups' clocks); all from
the conversion and event rollups (their landing-page level unless a filter needs more)
plus the newest raw minutes; distinct visitors from the visitor sets (`visitor_sets`).
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import schemas
from rastro.analytics.service import event_summary, visitor_sets
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service.overview import Scope, ratio
from rastro.analytics.service.reports import Sums, grouped_sums, report_range, total
from rastro.tracking.schemas import LandingPage
from rastro.tracking.service import facts as tracking_facts

FORM_START = "form_start"


@dataclass(frozen=True)
class _PageCounts:
    """One period's funnel inputs per landing page id (None: no registered page)."""

    sums: dict[Hashable, Sums]
    form_starts: dict[Hashable, int]
    visitors: dict[Hashable, int]

    def figures(self, keys: list[Hashable], currency: str) -> schemas.FunnelFigures:
        """The funnel of the sessions and leads of these page ids (summed)."""
        sums = total(self.sums[k] for k in keys if k in self.sums)
        starts = sum(self.form_starts.get(k, 0) for k in keys)
        visitors = sum(self.visitors.get(k, 0) for k in keys)
        c = sums.counts
        return schemas.FunnelFigures(
            visitors=visitors,
            sessions=c["sessions"],
            form_starts=starts,
            leads=c["leads"],
            qualified=c["qualified"],
            won=c["won"],
            revenue=sums.revenue.get(currency, Decimal("0.00")),
            form_start_rate=ratio(starts, c["sessions"]),
            form_completion_rate=ratio(c["leads"], starts),
            conversion_rate=ratio(c["leads"], c["sessions"]),
            qualification_rate=ratio(c["qualified"], c["leads"]),
            close_rate=ratio(c["won"], c["qualified"]),
        )

    def has_data(self, key: Hashable) -> bool:
        sums = self.sums.get(key)
        return bool(sums and any(sums.counts.values())) or bool(self.form_starts.get(key))


async def _page_counts(bi: AsyncSession, scope: Scope) -> _PageCounts:
    sums = {
        key[0]: value
        for key, value in (await grouped_sums(bi, scope, ("landing_page_id",))).items()
    }
    events = event_summary.event_rows(scope, ("landing_page_id",))
    starts = await bi.execute(
        select(events.c.landing_page_id, func.sum(events.c.sessions_with_event))
        .where(
            events.c.event_type == FORM_START,
            *report_filters.conditions(events, scope.filters),
        )
        .group_by(events.c.landing_page_id)
    )
    visitors = await visitor_sets.distinct_visitors(bi, scope, "landing_page_id")
    return _PageCounts(sums, {page: int(n) for page, n in starts}, visitors)


def _shown(page: LandingPage, filters: schemas.ReportFilters, counts: list[_PageCounts]) -> bool:
    """The pages the filters allow; inactive ones only when they have figures."""
    if filters.landing_page_id is not None and page.page_id != filters.landing_page_id:
        return False
    if filters.domain_id is not None and page.domain_id != filters.domain_id:
        return False
    return page.is_active or any(c.has_data(page.page_id) for c in counts)


async def landing_page_funnel(
    bi: AsyncSession, crm: AsyncSession, current: Scope, previous: Scope | None
) -> schemas.LandingPageReport:
    """The funnel per registered landing page and variant, most sessions first, and the
    same figures for everything that did not begin on a registered page."""
    pages = await tracking_facts.landing_pages(crm)
    now = await _page_counts(bi, current)
    before = await _page_counts(bi, previous) if previous else None
    money = current.currency
    shown = [p for p in pages if _shown(p, current.filters, [now, *([before] if before else [])])]
    rows = [
        schemas.LandingPageRow(
            page_id=page.page_id,
            domain_id=page.domain_id,
            name=page.page_name,
            url=page.page_url,
            variant=page.page_variant,
            is_control=page.is_control,
            ab_test_id=page.ab_test_id,
            is_active=page.is_active,
            current=now.figures([page.page_id], money),
            previous=before.figures([page.page_id], money) if before else None,
        )
        for page in shown
    ]
    rows.sort(key=lambda r: (-r.current.sessions, -r.current.leads, r.name, r.variant or ""))
    registered: set[uuid.UUID] = {p.page_id for p in pages}
    others = [k for k in {*now.sums, *now.form_starts, *now.visitors} if k not in registered]
    whole = total(now.sums.values())
    return schemas.LandingPageReport(
        range=report_range(current, previous),
        rows=rows,
        unregistered=now.figures(others, money),
        other_currencies=sorted(c for c in whole.revenue if c != money),
    )
