"""Profit in the Overview's totals, the campaign and channel reports and the Ads report: each
row's sales and money given back are read from `conversion_facts` (the won deals' product,
payment method, commission, refund and chargeback) and handed with the row's ad spend to
the calculator (`profit.compute_profit`, whose docstring holds the formula).

Applied after the cost (`spend_costs`): a row's ad spend is its `cost`. Money in another
currency than the organization's is left out, as in revenue. A refund or chargeback counts
in the period it happened, in the row of the campaign (channel, ad) that earned the sale:
a row with nothing but money given back in the period is added to the report (with zero
sessions) so the rows add up to the totals. With a domain, landing page or device filter
spend cannot be split, so profit stays null (`spend_not_filterable`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause, Subquery

from rastro.analytics import correlation_schemas, schemas
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import correlation, fact_targets, reports
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service.correlation import LEVEL_KEYS
from rastro.analytics.service.overview import Scope
from rastro.analytics.service.profit import GivenBack, Profit, Rules, Sales, compute_profit
from rastro.analytics.service.profit_settings import load_rules
from rastro.analytics.service.spend_costs import NOT_FILTERABLE

Key = tuple[Hashable, ...]
Report = TypeVar("Report", schemas.CampaignReport, schemas.ChannelReport)


@dataclass
class Lines:
    """A row's sales won in the period and money given back in it."""

    sales: list[Sales] = field(default_factory=list)
    given_back: list[GivenBack] = field(default_factory=list)

    def extend(self, other: Lines) -> None:
        self.sales.extend(other.sales)
        self.given_back.extend(other.given_back)


def _within(moment: Any, scope: Scope) -> ColumnElement[bool]:
    return and_(moment >= scope.period.start, moment < scope.period.end)


async def lines_by(
    bi: AsyncSession,
    scope: Scope,
    source: FromClause,
    keys: Sequence[str],
    where: Sequence[ColumnElement[bool]] = (),
) -> dict[Key, Lines]:
    """Per value of `keys` (columns of `source`, a `conversion_facts`-shaped selectable),
    the sales won in the scope's period and the money given back in it (two queries)."""
    c = source.c
    columns = [c[k] for k in keys]
    home = c.currency == scope.currency
    result: dict[Key, Lines] = defaultdict(Lines)
    sales = await bi.execute(
        select(
            *columns,
            c.payment_method,
            c.product,
            func.count().label("sales"),
            func.coalesce(func.sum(c.revenue), 0).label("revenue"),
            func.coalesce(func.sum(c.affiliate_commission), 0).label("given"),
            func.coalesce(func.sum(c.revenue).filter(c.affiliate_commission.is_(None)), 0).label(
                "without"
            ),
        )
        .where(*where, home, _within(c.won_at, scope))
        .group_by(*columns, c.payment_method, c.product)
    )
    for row in sales:
        result[tuple(row[: len(keys)])].sales.append(
            Sales(
                payment_method=row.payment_method,
                product=row.product,
                count=int(row.sales),
                revenue=Decimal(row.revenue),
                commission_given=Decimal(row.given),
                revenue_without_commission=Decimal(row.without),
            )
        )
    refunded, charged_back = _within(c.refunded_at, scope), _within(c.chargeback_at, scope)
    given_back = await bi.execute(
        select(
            *columns,
            c.payment_method,
            func.coalesce(func.sum(c.refunded_amount).filter(refunded), 0).label("refunds"),
            func.coalesce(func.sum(c.chargeback_amount).filter(charged_back), 0).label("cb"),
            func.count().filter(charged_back).label("cb_count"),
        )
        .where(*where, home, or_(refunded, charged_back))
        .group_by(*columns, c.payment_method)
    )
    for row in given_back:
        result[tuple(row[: len(keys)])].given_back.append(
            GivenBack(
                payment_method=row.payment_method,
                refunds=Decimal(row.refunds),
                chargebacks=Decimal(row.cb),
                chargeback_count=int(row.cb_count),
            )
        )
    return dict(result)


async def fact_lines(bi: AsyncSession, scope: Scope, keys: Sequence[str]) -> dict[Key, Lines]:
    """`lines_by` over `conversion_facts`, filtered by the scope's dimension filters."""
    facts = ConversionFact.__table__
    return await lines_by(bi, scope, facts, keys, report_filters.conditions(facts, scope.filters))


def profit_figures(profit: Profit) -> schemas.ProfitFigures:
    return schemas.ProfitFigures(
        revenue=profit.revenue,
        refunds=profit.refunds,
        chargebacks=profit.chargebacks,
        net_revenue=profit.net_revenue,
        fees=profit.fees,
        taxes=profit.taxes,
        product_costs=profit.product_costs,
        commissions=profit.commissions,
        ad_spend=profit.ad_spend,
        profit=profit.profit,
        margin=profit.margin,
        poas=profit.poas,
    )


def _of(rules: Rules, lines: Lines | None, spend: Decimal | None) -> schemas.ProfitFigures:
    lines = lines or Lines()
    return profit_figures(compute_profit(rules, lines.sales, lines.given_back, ad_spend=spend))


def _with(figures: schemas.Figures, rules: Rules, lines: Lines | None) -> schemas.Figures:
    if figures.cost_note == NOT_FILTERABLE:
        return figures
    return figures.model_copy(update={"profit": _of(rules, lines, figures.cost)})


def _whole(lines: dict[Key, Lines]) -> Lines:
    whole = Lines()
    for part in lines.values():
        whole.extend(part)
    return whole


async def with_report_profit(
    bi: AsyncSession,
    current: Scope,
    previous: Scope | None,
    report: Report,
    keys: Sequence[str],
) -> Report:
    """The campaign or channel report (cost already filled) with each row's profit and
    the totals'; rows with nothing but money given back in the period are appended."""
    rules = await load_rules(bi)
    now: dict[Key, Lines] = await fact_lines(bi, current, keys)
    before: dict[Key, Lines] = await fact_lines(bi, previous, keys) if previous else {}
    rows = list(report.rows)
    shown = {tuple(getattr(row, k) for k in keys) for row in rows}
    for key in [*now, *before]:
        if key not in shown:
            shown.add(key)
            rows.append(_empty_row(report, keys, key, current, previous))
    figured = []
    for row in rows:
        key = tuple(getattr(row, k) for k in keys)
        figured.append(
            row.model_copy(
                update={
                    "current": _with(row.current, rules, now.get(key)),
                    "previous": (
                        _with(row.previous, rules, before.get(key))
                        if row.previous is not None
                        else None
                    ),
                }
            )
        )
    return report.model_copy(
        update={
            "rows": figured,
            "totals": _with(report.totals, rules, _whole(now)),
            "previous_totals": (
                _with(report.previous_totals, rules, _whole(before))
                if report.previous_totals is not None
                else None
            ),
        }
    )


def _empty_row(
    report: Report, keys: Sequence[str], key: Key, current: Scope, previous: Scope | None
) -> Any:
    """A row for a key with no sessions, leads or sales (only money given back)."""
    row_type: Callable[..., Any] = (
        schemas.ChannelRow if isinstance(report, schemas.ChannelReport) else schemas.CampaignRow
    )
    empty = reports.figures(reports.Sums(), current.currency).model_copy(
        update={"cost_note": report.totals.cost_note}
    )
    return row_type(
        **dict(zip(keys, key, strict=True)),
        current=empty,
        previous=empty if previous is not None else None,
    )


async def with_overview_profit(
    bi: AsyncSession, current: Scope, previous: Scope | None, overview: schemas.Overview
) -> schemas.Overview:
    """The Overview with its totals' profit (and the compared totals')."""
    if overview.cost_note == NOT_FILTERABLE:
        return overview
    rules = await load_rules(bi)
    now = (await fact_lines(bi, current, ())).get((), Lines())
    totals = overview.totals.model_copy(update={"profit": _of(rules, now, overview.totals.cost)})
    before = overview.previous
    if before is not None and previous is not None:
        lines = (await fact_lines(bi, previous, ())).get((), Lines())
        before = before.model_copy(update={"profit": _of(rules, lines, before.cost)})
    return overview.model_copy(update={"totals": totals, "previous": before})


async def _ad_lines(
    bi: AsyncSession, scope: Scope, level: str, *, stored_targets: bool = True
) -> dict[Key | None, Lines]:
    """The sales and money given back per key of `level`, each fact credited (last touch)
    to the campaign, ad set or ad its touch reaches (None: it reaches none)."""
    f = ConversionFact.__table__
    where = [
        fact_targets.own_rows(bi, f),
        or_(
            _within(f.c.won_at, scope),
            _within(f.c.refunded_at, scope),
            _within(f.c.chargeback_at, scope),
        ),
        *report_filters.conditions(f, scope.filters),
    ]
    names = LEVEL_KEYS[level]

    async def keyed_lines(targets: Subquery) -> dict[Key, Lines]:
        keyed = (
            select(
                *(targets.c[k] for k in names),
                fact_targets.reached(targets).label("reached"),
                fact_targets.known(targets).label("known"),
                *(
                    f.c[c]
                    for c in (
                        "currency",
                        "won_at",
                        "revenue",
                        "payment_method",
                        "product",
                        "affiliate_commission",
                        "refunded_amount",
                        "refunded_at",
                        "chargeback_amount",
                        "chargeback_at",
                    )
                ),
            )
            .select_from(f)
            .outerjoin(targets, targets.c.combination_key == f.c.combination_key)
            .where(*where)
            .subquery("profit_keyed")
        )
        return await lines_by(bi, scope, keyed, (*names, "reached", "known"))

    found = await fact_targets.answer(
        keyed_lines, lambda got: all(key[-1] for key in got), where, stored=stored_targets
    )
    result: dict[Key | None, Lines] = defaultdict(Lines)
    for key, lines in found.items():
        result[key[:-2] if key[-2] else None].extend(lines)
    return dict(result)


async def with_ads_profit(
    bi: AsyncSession,
    scope: Scope,
    report: correlation_schemas.AdsReport,
    *,
    stored_targets: bool = True,
) -> correlation_schemas.AdsReport:
    """The Ads report with each row's profit (its spend as ad spend) under last touch,
    where every sale is credited whole to one ad; other models leave it null."""
    if report.model != "last_touch":
        return report
    rules = await load_rules(bi)
    lines = await _ad_lines(bi, scope, report.level, stored_targets=stored_targets)
    names = LEVEL_KEYS[report.level]

    def figured(figures: correlation_schemas.AdsFigures, part: Lines | None) -> Any:
        return figures.model_copy(update={"profit": _of(rules, part, figures.spend)})

    rows = list(report.rows)
    shown = {tuple(getattr(row, k) for k in names) for row in rows}
    empty = correlation.figures(correlation.Spent(), correlation.Outcomes())
    # A key with nothing but money given back in the period gets a row of its own.
    rows += [
        correlation_schemas.AdsRow(**dict(zip(names, key, strict=True)), figures=empty)
        for key in lines
        if key is not None and key not in shown
    ]
    rows = [
        row.model_copy(
            update={
                "figures": figured(row.figures, lines.get(tuple(getattr(row, k) for k in names)))
            }
        )
        for row in rows
    ]
    return report.model_copy(
        update={
            "rows": rows,
            "totals": figured(report.totals, _whole({k: v for k, v in lines.items() if k})),
            "unattributed": figured(report.unattributed, lines.get(None)),
        }
    )
