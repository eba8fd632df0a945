"""A/B tests: who entered each variant, what they did, and the statistics on it.

The unit is the visitor:
- A visitor enters a test with their first human session in the period that began on one
  of its variants' landing pages (the session's first page); that variant is theirs for the
  whole test, so no visitor is counted in two variants.
- A lead counts for the visitor who submitted it when that visitor entered the test before
  the lead; otherwise for the first of its contact's other visitors (the CRM's stitched
  visitor ids, in their order) who did. Each lead counts for one visitor at most.
- A visitor converted to a lead if they have such a lead; won if one of those leads is won;
  their revenue is those won leads' value in the organization's currency (`conversion_facts`
  holds it in that currency). Revenue per visitor is (visitors, Σ revenue, Σ revenue²) per
  variant, visitors without a won deal counting 0, for Welch's t-test.

The period is the test's life by default (from the day it was created, in the organization's
days, to today), or `date_from`/`date_to`: visitors who entered and leads created in it; a
lead's won deal counts whenever it was won (sales take time), so the daily series may run
past `date_to` with won deals and revenue, and always sums to the variants' totals.
Sessions come from `session_facts` before the rollups' `through` and from tracking's raw
sessions after it (`rollups.visitor_keys`), so today is never stale. The counts are worked
out in memory from two packed reads (`ab_counts`; `sql_counts_and_series`, the same in
SQL, is its reference in the tests). The statistics are `rastro.analytics.stats`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Select, and_, case, cast, func, literal, null, select, true, union_all
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.selectable import CTE

from rastro.analytics import schemas, stats
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import ab_counts, periods, report_settings, rollups
from rastro.analytics.service.ab_counts import Counts
from rastro.analytics.stats.verdict import POWER
from rastro.auth.service import accounts
from rastro.tracking.schemas import AbTest
from rastro.tracking.service import facts as tracking_facts

RULE = stats.DecisionRule()


@dataclass(frozen=True)
class TestWindow:
    """The period a test is measured over, in the organization's days and currency."""

    period: schemas.Period
    through: datetime | None
    timezone: str
    currency: str

    def local_date(self, moment: Any) -> ColumnElement[date]:
        return cast(func.timezone(self.timezone, moment), Date)


def _window(
    test: AbTest,
    *,
    date_from: date | None,
    date_to: date | None,
    timezone: str,
    currency: str,
    through: datetime | None,
    now: datetime,
) -> TestWindow:
    """The test's period: `date_from`/`date_to` or its life (422 as every report)."""
    if date_from is None:
        today = now.astimezone(ZoneInfo(timezone)).date()
        created = test.created_at.astimezone(ZoneInfo(timezone)).date()
        end = date_to or today
        date_from = min(max(created, end - timedelta(days=schemas.MAX_RANGE_DAYS - 1)), end)
    filters = schemas.ReportFilters(date_from=date_from, date_to=date_to)
    period, _ = periods.resolve(filters, timezone, now=now)
    return TestWindow(period, through, timezone, currency)


def _entries(window: TestWindow, page_ids: list[uuid.UUID]) -> CTE:
    """Each visitor's entry into the test: visitor_key, page_id, entered_at."""
    visits = rollups.visitor_keys(window.period.start, window.period.end, window.through)
    return (
        select(
            visits.c.visitor_key,
            visits.c.landing_page_id.label("page_id"),
            visits.c.started_at.label("entered_at"),
        )
        .where(visits.c.landing_page_id.in_(page_ids))
        .ext(distinct_on(visits.c.visitor_key))
        .order_by(visits.c.visitor_key, visits.c.started_at)
        .cte("ab_entries")
    )


def _leads(window: TestWindow, entries: CTE) -> CTE:
    """Each lead of an entered visitor: lead_id, visitor_key, page_id, created_at, won_at,
    revenue (won, in the organization's currency, else 0)."""
    fact = ConversionFact
    visitor_ids = (
        func.unnest(fact.visitor_ids)
        .table_valued("visitor_id", with_ordinality="position")
        .render_derived()
        .lateral("lead_visitors")
    )
    won_revenue = case(
        (
            and_(fact.won_at.is_not(None), fact.currency == window.currency),
            func.coalesce(fact.revenue, 0),
        ),
        else_=0,
    )
    return (
        select(
            fact.lead_id,
            entries.c.visitor_key,
            entries.c.page_id,
            fact.created_at,
            fact.won_at,
            won_revenue.label("revenue"),
        )
        .select_from(fact)
        .join(visitor_ids, true())
        .join(entries, entries.c.visitor_key == func.hashtextextended(visitor_ids.c.visitor_id, 0))
        .where(
            fact.created_at >= window.period.start,
            fact.created_at < window.period.end,
            fact.created_at >= entries.c.entered_at,
        )
        .ext(distinct_on(fact.lead_id))
        .order_by(fact.lead_id, visitor_ids.c.position)
        .cte("ab_leads")
    )


def _visitors(entries: CTE, leads: CTE) -> CTE:
    """Per entered visitor: page_id, entered_at, first lead, first won deal, revenue won
    (the leads summed per visitor first: a few of the entered visitors have any)."""
    won = leads.c.won_at.is_not(None)
    converted = (
        select(
            leads.c.visitor_key,
            func.min(leads.c.created_at).label("lead_at"),
            func.min(leads.c.won_at).label("won_at"),
            func.sum(leads.c.revenue).filter(won).label("revenue"),
        )
        .group_by(leads.c.visitor_key)
        .subquery("ab_converted")
    )
    return (
        select(
            entries.c.visitor_key,
            entries.c.page_id,
            entries.c.entered_at,
            converted.c.lead_at,
            converted.c.won_at,
            func.coalesce(converted.c.revenue, 0).label("revenue"),
        )
        .select_from(entries.outerjoin(converted, converted.c.visitor_key == entries.c.visitor_key))
        .cte("ab_visitors")
    )


def _count_rows(visitors: CTE) -> Select[Any]:
    """Per variant: visitors, converted visitors, won, revenue and Σ revenue² (kind
    "total", no day)."""
    return select(
        literal("total").label("kind"),
        visitors.c.page_id,
        cast(null(), Date).label("day"),
        func.count().label("visitors"),
        func.count(visitors.c.lead_at).label("leads"),
        func.count(visitors.c.won_at).label("won"),
        func.coalesce(func.sum(visitors.c.revenue), 0).label("revenue"),
        func.coalesce(func.sum(visitors.c.revenue * visitors.c.revenue), 0).label("squares"),
    ).group_by(visitors.c.page_id)


def _day_rows(window: TestWindow, visitors: CTE, leads: CTE) -> Select[Any]:
    """Per variant and day (kind "day"): visitors entering, visitors converting, won
    deals and revenue."""

    def part(moment: Any, source: CTE, **measures: Any) -> Any:
        day = window.local_date(moment)
        values = [
            measures.get(name, literal(0)).label(name)
            for name in ("visitors", "leads", "won", "revenue")
        ]
        return (
            select(source.c.page_id, day.label("day"), *values)
            .where(moment.is_not(None))
            .group_by(source.c.page_id, day)
        )

    parts = union_all(
        part(visitors.c.entered_at, visitors, visitors=func.count()),
        part(visitors.c.lead_at, visitors, leads=func.count()),
        part(visitors.c.won_at, visitors, won=func.count()),
        part(leads.c.won_at, leads, revenue=func.sum(leads.c.revenue)),
    ).subquery("ab_days")
    return select(
        literal("day").label("kind"),
        parts.c.page_id,
        parts.c.day,
        *(func.sum(parts.c[name]).label(name) for name in ("visitors", "leads", "won")),
        func.sum(parts.c.revenue).label("revenue"),
        literal(0).label("squares"),
    ).group_by(parts.c.page_id, parts.c.day)


def _counts_of(rows: Iterable[Any]) -> dict[uuid.UUID, Counts]:
    return {
        row.page_id: Counts(
            int(row.visitors),
            int(row.leads),
            int(row.won),
            Decimal(row.revenue),
            Decimal(row.squares),
        )
        for row in rows
    }


async def sql_counts_and_series(
    bi: AsyncSession, window: TestWindow, page_ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, Counts], list[schemas.AbSeriesPoint]]:
    """The variants' counts and the daily series in one SQL statement (the entries, leads
    and visitors worked out once): what `ab_counts` answers in memory, kept as its
    reference for the tests."""
    entries = _entries(window, page_ids)
    leads = _leads(window, entries)
    visitors = _visitors(entries, leads)
    rows = list(
        await bi.execute(union_all(_count_rows(visitors), _day_rows(window, visitors, leads)))
    )
    days = sorted((row for row in rows if row.kind == "day"), key=lambda r: (r.day, r.page_id))
    series = [
        schemas.AbSeriesPoint(
            date=row.day,
            page_id=row.page_id,
            visitors=int(row.visitors),
            leads=int(row.leads),
            won=int(row.won),
            revenue=Decimal(row.revenue),
        )
        for row in days
    ]
    return _counts_of(row for row in rows if row.kind == "total"), series


async def counts_and_series(
    bi: AsyncSession, window: TestWindow, page_ids: list[uuid.UUID], *, series: bool = True
) -> tuple[dict[uuid.UUID, Counts], list[schemas.AbSeriesPoint]]:
    """The variants' counts and (with `series`) the daily series (`ab_counts`)."""
    return await ab_counts.counts_and_series(
        bi,
        window.period,
        window.through,
        page_ids,
        timezone=window.timezone,
        currency=window.currency,
        series=series,
    )


def _arms(test: AbTest, counts: dict[uuid.UUID, Counts]) -> list[stats.Arm]:
    empty = Counts(0, 0, 0, Decimal(0), Decimal(0))
    arms = []
    for page in test.variants:
        c = counts.get(page.page_id, empty)
        arms.append(
            stats.Arm(
                key=str(page.page_id),
                is_control=page.is_control,
                weight=page.variant_weight,
                visitors=c.visitors,
                leads=c.leads,
                won_deals=c.won,
                revenue=stats.RevenueSample(c.visitors, c.revenue, c.revenue_squares),
            )
        )
    return arms


def _verdict(verdict: stats.Verdict) -> schemas.AbVerdict:
    return schemas.AbVerdict(
        code=verdict.code.value,
        reason=verdict.reason.value,
        planned_visitors=verdict.planned_visitors,
        alpha=verdict.alpha,
    )


def _winner(metric: stats.MetricResult) -> uuid.UUID | None:
    return uuid.UUID(metric.winner) if metric.winner else None


def _rate_metric(metric: stats.MetricResult) -> schemas.AbRateMetric:
    comparisons = []
    for variant in metric.variants:
        figures = variant.comparison
        assert isinstance(figures, stats.ProportionComparison)
        comparisons.append(
            schemas.AbRateComparison(
                page_id=uuid.UUID(variant.key),
                **vars(figures),
                verdict=_verdict(variant.verdict),
            )
        )
    return schemas.AbRateMetric(
        verdict=_verdict(metric.verdict), winner_page_id=_winner(metric), comparisons=comparisons
    )


def _revenue_metric(metric: stats.MetricResult) -> schemas.AbRevenueMetric:
    comparisons = []
    for variant in metric.variants:
        figures = variant.comparison
        assert isinstance(figures, stats.MeanComparison)
        comparisons.append(
            schemas.AbRevenueComparison(
                page_id=uuid.UUID(variant.key),
                **vars(figures),
                verdict=_verdict(variant.verdict),
            )
        )
    return schemas.AbRevenueMetric(
        verdict=_verdict(metric.verdict), winner_page_id=_winner(metric), comparisons=comparisons
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _variant_counts_out(test: AbTest, arms: list[stats.Arm]) -> list[schemas.AbVariantCounts]:
    rows = []
    for page, arm in zip(test.variants, arms, strict=True):
        revenue = Decimal(arm.revenue.total)
        rows.append(
            schemas.AbVariantCounts(
                page_id=page.page_id,
                page_name=page.page_name,
                page_variant=page.page_variant,
                is_control=page.is_control,
                weight=page.variant_weight,
                visitors=arm.visitors,
                leads=arm.leads,
                won=arm.won_deals,
                revenue=revenue,
                lead_rate=_ratio(arm.leads, arm.visitors),
                win_rate=_ratio(arm.won_deals, arm.visitors),
                revenue_per_visitor=arm.revenue.mean,
            )
        )
    return rows


async def _test_and_window(
    crm: AsyncSession,
    bi: AsyncSession,
    organization_id: uuid.UUID,
    ab_test_id: uuid.UUID | None,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> tuple[list[AbTest], dict[uuid.UUID, TestWindow]]:
    organization = await accounts.get_organization(crm, organization_id)
    tests = await tracking_facts.ab_test_definitions(crm, ab_test_id=ab_test_id)
    await report_settings.apply(bi)
    through = await rollups.rollup_through(bi, organization.timezone)
    now = datetime.now(UTC)
    windows = {
        test.ab_test_id: _window(
            test,
            date_from=date_from,
            date_to=date_to,
            timezone=organization.timezone,
            currency=organization.currency,
            through=through,
            now=now,
        )
        for test in tests
    }
    return tests, windows


async def ab_test_report(
    crm: AsyncSession,
    bi: AsyncSession,
    organization_id: uuid.UUID,
    ab_test_id: uuid.UUID,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> schemas.AbTestReport:
    """Every figure of one test (404 if it is not the organization's) with a daily series."""
    tests, windows = await _test_and_window(
        crm, bi, organization_id, ab_test_id, date_from=date_from, date_to=date_to
    )
    test = tests[0]
    window = windows[test.ab_test_id]
    page_ids = [page.page_id for page in test.variants]
    counts, series = await counts_and_series(bi, window, page_ids)
    arms = _arms(test, counts)
    result = stats.judge_ab_test(arms, rule=RULE)
    leads, won, revenue = result.metrics
    check = result.sample_ratio
    return schemas.AbTestReport(
        ab_test_id=test.ab_test_id,
        name=test.name,
        domain_id=test.domain_id,
        is_active=test.is_active,
        created_at=test.created_at,
        period=schemas.AbTestPeriod(
            date_from=window.period.date_from,
            date_to=window.period.date_to,
            timezone=window.timezone,
            currency=window.currency,
            data_through=window.through,
        ),
        rule=schemas.AbDecisionRule(
            min_visitors=RULE.min_visitors,
            min_conversions=RULE.min_conversions,
            minimum_detectable_effect=RULE.minimum_detectable_effect,
            alpha=RULE.alpha,
            power=POWER,
        ),
        variants=_variant_counts_out(test, arms),
        sample_ratio=schemas.AbSampleRatio(
            chi_square=check.chi_square,
            degrees_of_freedom=check.degrees_of_freedom,
            p_value=check.p_value,
            mismatch=check.mismatch,
        ),
        leads=_rate_metric(leads),
        won=_rate_metric(won),
        revenue=_revenue_metric(revenue),
        series=series,
    )


async def ab_test_summaries(
    crm: AsyncSession, bi: AsyncSession, organization_id: uuid.UUID
) -> list[schemas.AbTestSummary]:
    """The organization's tests, newest first, each with its totals and verdict on leads
    (one read per test)."""
    tests, windows = await _test_and_window(crm, bi, organization_id, None)
    summaries = []
    for test in tests:
        page_ids = [page.page_id for page in test.variants]
        counts, _ = await counts_and_series(bi, windows[test.ab_test_id], page_ids, series=False)
        arms = _arms(test, counts)
        result = stats.judge_ab_test(arms, rule=RULE)
        leads = result.metrics[0]
        summaries.append(
            schemas.AbTestSummary(
                ab_test_id=test.ab_test_id,
                name=test.name,
                domain_id=test.domain_id,
                is_active=test.is_active,
                created_at=test.created_at,
                variants=len(test.variants),
                visitors=sum(arm.visitors for arm in arms),
                leads=sum(arm.leads for arm in arms),
                verdict=_verdict(leads.verdict),
                winner_page_id=_winner(leads),
                sample_ratio_mismatch=result.sample_ratio.mismatch,
            )
        )
    return summaries
