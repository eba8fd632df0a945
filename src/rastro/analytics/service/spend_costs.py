"""Ad spend in the Overview and in the campaign and channel reports: cost, CPL, CPA, ROAS and
ROI where spend is joined, the reason where it is not.

A report row (a campaign, source, medium, content, term or channel value) costs the spend
of the campaigns, ad sets and ads that its touches reach (`spend_join`), each spend row
counted once per report row (a campaign reached by two UTM values counts in both rows).
The totals are the period's whole spend (also spend that no touch reaches: see
`/api/analytics/spend/unmapped`); with a channel, source, medium, campaign, content or term
filter, the spend the filtered touches reach. Spend cannot be split by domain, landing
page or device: with such a filter cost stays null (`spend_not_filterable`). Spend in
another currency than the organization's is converted at the day's stored rate
(`rastro.analytics.service.fx`); what no rate converts stays apart, never summed in
(`other_currency_spend`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import schemas
from rastro.analytics.ad_models import CampaignMetric
from rastro.analytics.ad_models import TouchCombination as Combination
from rastro.analytics.service import fx, spend_join
from rastro.analytics.service.overview import Scope, ratio

NO_SPEND_DATA = "no_spend_data"
UNMAPPED = "unmapped"
NOT_FILTERABLE = "spend_not_filterable"
OTHER_CURRENCY = "other_currency_spend"
SPEND_BLIND_FILTERS = ("domain_id", "landing_page_id", "device")
TOUCH_FILTERS = ("channel", "source", "medium", "campaign", "content", "term")
CENT = Decimal("0.01")

Key = tuple[Hashable, ...]
Report = TypeVar("Report", schemas.CampaignReport, schemas.ChannelReport)


@dataclass
class Cost:
    """Spend in the organization's currency and, apart, in others."""

    spend: Decimal = Decimal(0)
    other: dict[str, Decimal] = field(default_factory=dict)

    def add(self, currency: str, amount: Decimal, home: str) -> None:
        if currency == home:
            self.spend += amount
        else:
            self.other[currency] = self.other.get(currency, Decimal(0)) + amount

    def add_row(self, row: Any, home: str) -> None:
        """A row of `spend_sums` columns: the converted part in, the rest apart."""
        self.spend += Decimal(row.home_spend or 0)
        if row.unconverted:
            self.add(row.currency, Decimal(row.unconverted), home)


def spend_sums(spend: Any, currency: Any, day: Any, home: str) -> list[Any]:
    """The sum of spend in the organization's currency (converted per day where a rate is
    known) and the sum of what no rate converts, to group by currency."""
    converted = fx.home_amount(spend, currency, day, home)
    return [
        func.sum(converted).label("home_spend"),
        func.sum(spend).filter(converted.is_(None)).label("unconverted"),
    ]


def _blind(scope: Scope) -> bool:
    return any(getattr(scope.filters, name) is not None for name in SPEND_BLIND_FILTERS)


def _touch_filtered(scope: Scope) -> bool:
    return any(getattr(scope.filters, name) is not None for name in TOUCH_FILTERS)


def _in_period(scope: Scope) -> Any:
    m = CampaignMetric
    return and_(m.day >= scope.period.date_from, m.day <= scope.period.date_to)


async def period_spend(bi: AsyncSession, scope: Scope) -> Cost | None:
    """All spend of the period (None: no spend row at all)."""
    m = CampaignMetric
    rows = (
        await bi.execute(
            select(m.currency, *spend_sums(m.spend, m.currency, m.day, scope.currency))
            .where(_in_period(scope))
            .group_by(m.currency)
        )
    ).all()
    if not rows:
        return None
    cost = Cost()
    for row in rows:
        cost.add_row(row, scope.currency)
    return cost


async def reached_spend(bi: AsyncSession, scope: Scope, keys: Sequence[str]) -> dict[Key, Cost]:
    """Per value of `keys` (touch columns), the period's spend that touches with that value
    reach (touches filtered by the scope's touch filters); `keys` empty: one entry `()`."""
    combos_query = spend_join.stored_combinations()
    for name in TOUCH_FILTERS:
        value = getattr(scope.filters, name)
        if value is not None:
            combos_query = combos_query.where(getattr(Combination, name) == value)
    combos = combos_query.cte("combos")
    resolved = spend_join.resolve(combos).subquery("resolved")
    reached = (
        select(
            *(combos.c[k] for k in keys),
            resolved.c.platform,
            resolved.c.account_id,
            resolved.c.campaign_id,
            resolved.c.ad_set_id,
            resolved.c.ad_id,
        )
        .join_from(combos, resolved, resolved.c.combination_key == combos.c.combination_key)
        .distinct()
        .subquery("reached")
    )
    m = CampaignMetric
    # One spend row once per report key, however many of the key's touches reach it.
    matched = (
        select(
            *(reached.c[k] for k in keys),
            m.account_id,
            m.platform,
            m.ad_id,
            m.day,
            m.spend,
            m.currency,
        )
        .join_from(
            reached,
            m,
            and_(
                m.platform == reached.c.platform,
                m.account_id == reached.c.account_id,
                m.campaign_id == reached.c.campaign_id,
                or_(reached.c.ad_set_id.is_(None), m.ad_set_id == reached.c.ad_set_id),
                or_(reached.c.ad_id.is_(None), m.ad_id == reached.c.ad_id),
            ),
        )
        .where(_in_period(scope))
        .distinct()
        .subquery("matched")
    )
    columns = [matched.c[k] for k in keys]
    sums = spend_sums(matched.c.spend, matched.c.currency, matched.c.day, scope.currency)
    rows = await bi.execute(
        select(*columns, matched.c.currency, *sums).group_by(*columns, matched.c.currency)
    )
    result: dict[Key, Cost] = {}
    for row in rows:
        result.setdefault(tuple(row[: len(keys)]), Cost()).add_row(row, scope.currency)
    return result


def _note(cost: Cost | None, any_spend: bool) -> str | None:
    if not any_spend:
        return NO_SPEND_DATA
    if cost is None or (not cost.spend and not cost.other):
        return UNMAPPED
    if cost.other:
        return OTHER_CURRENCY
    return None


def costed(figures: schemas.Figures, cost: Cost | None, any_spend: bool) -> schemas.Figures:
    """The figures with their cost, CPL, CPA, ROAS and ROI (or the reason they are null)."""
    note = _note(cost, any_spend)
    if cost is None or not cost.spend:
        return figures.model_copy(update={"cost_note": note})
    spend = cost.spend.quantize(CENT)
    return figures.model_copy(
        update={
            "cost": spend,
            "cpl": (spend / figures.leads).quantize(CENT) if figures.leads else None,
            "cpa": (spend / figures.won).quantize(CENT) if figures.won else None,
            "roas": ratio(figures.revenue, spend),
            "roi": ratio(figures.revenue - spend, spend),
            "cost_note": note,
        }
    )


async def _costs(
    bi: AsyncSession, scope: Scope, keys: Sequence[str]
) -> tuple[dict[Key, Cost], Cost | None, bool]:
    """Per-row reached spend, the totals' spend, and whether the period has spend at all."""
    whole = await period_spend(bi, scope)
    if whole is None:
        return {}, None, False
    rows = await reached_spend(bi, scope, keys)
    if _touch_filtered(scope):
        total = (await reached_spend(bi, scope, ())).get((), Cost())
    else:
        total = whole
    return rows, total, True


async def with_report_cost(
    bi: AsyncSession,
    current: Scope,
    previous: Scope | None,
    report: Report,
    keys: Sequence[str],
) -> Report:
    """The campaign or channel report with cost and its ratios filled where spend joins."""
    if _blind(current):
        # Spend has no domain, landing page or device: say so when there is spend at all.
        if await period_spend(bi, current) is None:
            return report
        return report.model_copy(
            update={
                "rows": [
                    row.model_copy(
                        update={
                            "current": row.current.model_copy(update={"cost_note": NOT_FILTERABLE})
                        }
                    )
                    for row in report.rows
                ],
                "totals": report.totals.model_copy(update={"cost_note": NOT_FILTERABLE}),
                "cost_note": NOT_FILTERABLE,
            }
        )
    now_rows, now_total, now_any = await _costs(bi, current, keys)
    before_rows, before_total, before_any = (
        await _costs(bi, previous, keys) if previous else ({}, None, False)
    )
    rows = []
    for row in report.rows:
        key = tuple(getattr(row, k) for k in keys)
        rows.append(
            row.model_copy(
                update={
                    "current": costed(row.current, now_rows.get(key), now_any),
                    "previous": (
                        costed(row.previous, before_rows.get(key), before_any)
                        if row.previous is not None
                        else None
                    ),
                }
            )
        )
    return report.model_copy(
        update={
            "rows": rows,
            "totals": costed(report.totals, now_total, now_any),
            "previous_totals": (
                costed(report.previous_totals, before_total, before_any)
                if report.previous_totals is not None
                else None
            ),
            "cost_note": None if now_any else NO_SPEND_DATA,
        }
    )


async def _total_cost(
    bi: AsyncSession, scope: Scope, totals: schemas.Totals
) -> tuple[schemas.Totals, str | None]:
    whole = await period_spend(bi, scope)
    if whole is None:
        return totals, NO_SPEND_DATA
    cost = (await reached_spend(bi, scope, ())).get((), Cost()) if _touch_filtered(scope) else whole
    note = _note(cost, True)
    if not cost.spend:
        return totals, note
    spend = cost.spend.quantize(CENT)
    revenue = next((m.amount for m in totals.revenue if m.currency == scope.currency), Decimal(0))
    return totals.model_copy(update={"cost": spend, "roas": ratio(revenue, spend)}), note


async def with_overview_cost(
    bi: AsyncSession, current: Scope, previous: Scope | None, overview: schemas.Overview
) -> schemas.Overview:
    """The Overview with its totals' cost and ROAS (revenue in the organization's currency
    ÷ spend in it) where the period has spend."""
    if _blind(current):
        blind = NO_SPEND_DATA if await period_spend(bi, current) is None else NOT_FILTERABLE
        return overview.model_copy(update={"cost_note": blind})
    totals, note = await _total_cost(bi, current, overview.totals)
    before = overview.previous
    if before is not None and previous is not None:
        before, _ = await _total_cost(bi, previous, before)
    return overview.model_copy(update={"totals": totals, "previous": before, "cost_note": note})
