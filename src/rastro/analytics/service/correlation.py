"""Seed 003's Lead Correlation Service (issue 18 part 4): per platform, campaign, ad set or
ad, the spend and the platform's own figures beside the leads and won deals the join
(`spend_join`) credits to it, and real ROAS against the platform's.

Spend is counted by the ad account's days in the period's dates; leads by their creation,
qualified leads and won deals (and their revenue) by the day they got there, as in the
other reports. Under last touch every lead goes to the campaign its credited touch reaches
(one set-based query); under another model the period's journeys
(`journeys.load_journeys`) are credited by `attribution.credit_all` with each touch keyed
by the campaign it reaches. Money stays in its currency: only rows in the organization's
currency enter spend, value and ROAS; the rest is listed per currency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Text,
    and_,
    cast,
    column,
    extract,
    func,
    or_,
    select,
    values,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Subquery

from rastro.analytics import correlation_schemas as schemas
from rastro.analytics.ad_models import Ad, AdCampaign, AdSet, CampaignMetric
from rastro.analytics.attribution import NONE_KEY, UNTRACKED, Credit, Journey, ModelName, credit_all
from rastro.analytics.models import ConversionFact
from rastro.analytics.schemas import Money
from rastro.analytics.service import fact_targets, fx, spend_join, spend_rollup
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service.journeys import JourneyConversion, load_journeys
from rastro.analytics.service.overview import Scope, ratio, report_range
from rastro.analytics.service.spend_costs import spend_sums

LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "platform": ("platform",),
    "campaign": ("platform", "account_id", "campaign_id"),
    "ad_set": ("platform", "account_id", "campaign_id", "ad_set_id"),
    "ad": ("platform", "account_id", "campaign_id", "ad_set_id", "ad_id"),
}
FACT_COLUMNS = ("channel", "source", "medium", "campaign", "content", "term", "utm_id", "click_id")
SEPARATOR = "\x1f"
CENT = Decimal("0.01")

Key = tuple[str | None, ...]


@dataclass
class Spent:
    """A row's spend-side sums (money in the organization's currency, others apart)."""

    spend: Decimal = Decimal(0)
    other: dict[str, Decimal] = field(default_factory=dict)
    impressions: int = 0
    clicks: int = 0
    hooked_impressions: int = 0
    views_3s: int | None = None
    conversions: Decimal = Decimal(0)
    value: Decimal = Decimal(0)


@dataclass
class Outcomes:
    """A row's credited leads and sales."""

    leads: float = 0.0
    qualified: float = 0.0
    won: float = 0.0
    revenue: Decimal = Decimal(0)
    other: dict[str, Decimal] = field(default_factory=dict)
    cycle_seconds: float = 0.0
    cycle_won: float = 0.0


async def spent(
    bi: AsyncSession, scope: Scope, level: str, *, rollup: bool = True
) -> dict[Key, Spent]:
    """The period's spend and platform figures per key of `level`, in the organization's
    currency. One statement sums every row as it is, whole months from the monthly rollup
    and the days at the range's edges from the daily rows (`spend_rollup.period_sums`;
    `rollup=False`: every day from the daily rows); only when some spend is in another
    currency, a second one converts those rows per day from the daily rows (the rate is
    the day's)."""
    m = CampaignMetric
    keys = [getattr(m, k) for k in LEVEL_KEYS[level]]
    in_period = (m.day >= scope.period.date_from, m.day <= scope.period.date_to)
    answer = await bi.execute(
        spend_rollup.period_sums(
            LEVEL_KEYS[level], scope.period.date_from, scope.period.date_to, rollup=rollup
        )
    )
    rows = list(answer)
    foreign = sorted({row.currency for row in rows if row.currency != scope.currency})
    converted: dict[tuple[Any, ...], Any] = {}
    if foreign:
        for row in await bi.execute(
            select(
                *keys,
                m.currency,
                *spend_sums(m.spend, m.currency, m.day, scope.currency),
                func.sum(
                    fx.home_amount(m.conversion_value, m.currency, m.day, scope.currency)
                ).label("home_value"),
            )
            .where(*in_period, m.currency.in_(foreign))
            .group_by(*keys, m.currency)
        ):
            converted[tuple(row[: len(keys) + 1])] = row
    result: dict[Key, Spent] = defaultdict(Spent)
    for row in rows:
        sums = result[tuple(row[: len(keys)])]
        sums.impressions += int(row.impressions)
        sums.clicks += int(row.clicks)
        if row.views_3s is not None:
            sums.views_3s = (sums.views_3s or 0) + int(row.views_3s)
            sums.hooked_impressions += int(row.hooked or 0)
        sums.conversions += Decimal(row.conversions)
        if row.currency == scope.currency:
            sums.spend += Decimal(row.spend)
            sums.value += Decimal(row.value)
            continue
        # Another currency: converted per day where a rate is known; what no rate
        # converts is listed apart.
        home = converted[tuple(row[: len(keys) + 1])]
        sums.spend += Decimal(home.home_spend or 0)
        sums.value += Decimal(home.home_value or 0)
        if home.unconverted:
            sums.other[row.currency] = sums.other.get(row.currency, Decimal(0)) + Decimal(
                home.unconverted
            )
    return dict(result)


async def _last_touch(
    bi: AsyncSession, scope: Scope, level: str, *, stored_targets: bool = True
) -> dict[Key | None, Outcomes]:
    """Leads, qualified, won and revenue per key by the credited touch (None: reaches no
    campaign), one query over the period's facts joined to their combinations' targets
    (`fact_targets.answer`)."""
    period = scope.period
    f = ConversionFact.__table__

    def within(moment: Any) -> ColumnElement[bool]:
        return and_(moment >= period.start, moment < period.end)

    where = [
        fact_targets.own_rows(bi, f),
        or_(within(f.c.created_at), within(f.c.qualified_at), within(f.c.won_at)),
        *report_filters.conditions(f, scope.filters),
    ]
    won = within(f.c.won_at)

    # The facts counted per combination first (a hash on one key), then the few
    # combinations joined to their targets: the join and the grouping by the target's
    # columns run per combination instead of per fact.
    per_combination = (
        select(
            f.c.combination_key,
            f.c.currency,
            func.count().filter(within(f.c.created_at)).label("leads"),
            func.count().filter(within(f.c.qualified_at)).label("qualified"),
            func.count().filter(won).label("won"),
            func.coalesce(func.sum(f.c.revenue).filter(won), 0).label("revenue"),
            func.coalesce(
                func.sum(
                    cast(func.round(extract("epoch", f.c.won_at - f.c.created_at)), Integer)
                ).filter(won),
                0,
            ).label("cycle"),
        )
        .where(*where)
        .group_by(f.c.combination_key, f.c.currency)
        .subquery("per_combination")
    )
    c = per_combination.c

    async def counted(targets: Subquery) -> Sequence[Any]:
        keys = [targets.c[k] for k in LEVEL_KEYS[level]]
        flags = (fact_targets.reached(targets), fact_targets.known(targets))
        rows = await bi.execute(
            select(
                *keys,
                flags[0].label("reached"),
                flags[1].label("known"),
                c.currency,
                *(
                    cast(func.sum(c[n]), BigInteger).label(n)
                    for n in ("leads", "qualified", "won", "cycle")
                ),
                func.sum(c.revenue).label("revenue"),
            )
            .select_from(per_combination)
            .outerjoin(targets, targets.c.combination_key == c.combination_key)
            .group_by(*keys, *flags, c.currency)
        )
        return rows.all()

    rows = await fact_targets.answer(
        counted, lambda found: all(r.known for r in found), where, stored=stored_targets
    )
    width = len(LEVEL_KEYS[level])
    result: dict[Key | None, Outcomes] = defaultdict(Outcomes)
    for row in rows:
        outcome = result[tuple(row[:width]) if row.reached else None]
        outcome.leads += row.leads
        outcome.qualified += row.qualified
        outcome.won += row.won
        outcome.cycle_seconds += float(row.cycle)
        outcome.cycle_won += int(row.won)
        if row.currency == scope.currency:
            outcome.revenue += Decimal(row.revenue)
        elif row.revenue:
            outcome.other[row.currency] = outcome.other.get(row.currency, Decimal(0)) + Decimal(
                row.revenue
            )
    return dict(result)


def _combo(touch: Any) -> tuple[str | None, ...]:
    return (touch.source, touch.campaign, touch.content, touch.term, touch.utm_id, touch.click_id)


async def _keys_of_touches(
    bi: AsyncSession, combos: set[tuple[str | None, ...]], level: str
) -> dict[tuple[str | None, ...], str]:
    """The level key (joined with SEPARATOR) each touch combination reaches (one query)."""
    if not combos:
        return {}
    names = ("source", "campaign", "content", "term", "utm_id", "click_id")
    listed = sorted(combos, key=lambda c: tuple(v or "" for v in c))
    given = values(column("n", Integer), *(column(n, Text()) for n in names), name="given").data(
        [(i, *c) for i, c in enumerate(listed)]
    )
    table = select(given.c.n.label("combination_key"), *(given.c[n] for n in names)).cte(
        "given_combos"
    )
    resolved = spend_join.resolve(table).subquery()
    rows = await bi.execute(
        select(resolved.c.combination_key, *(resolved.c[k] for k in LEVEL_KEYS[level]))
    )
    return {listed[row[0]]: SEPARATOR.join(v or "" for v in row[1:]) for row in rows}


async def _modelled(
    bi: AsyncSession,
    scope: Scope,
    level: str,
    model: ModelName,
    lookback_days: int,
    half_life_days: float,
) -> dict[Key | None, Outcomes]:
    """Leads, qualified leads and won deals (with their revenue and sales cycle) credited by
    `model` over the period's journeys, each touch keyed by the campaign it reaches. A
    key's credited cycle ÷ its credited won deals is its average sales cycle
    (`JourneySet.valued_by_cycle`)."""
    result: dict[Key | None, Outcomes] = defaultdict(Outcomes)
    conversions: tuple[JourneyConversion, ...] = ("lead", "qualified", "won")
    for conversion in conversions:
        journeys = await load_journeys(
            bi,
            period=scope.period,
            filters=scope.filters,
            conversion=conversion,
            lookback_days=lookback_days,
            currency=scope.currency,
            non_converting=model == "markov",
        )
        combos = {_combo(t) for j in journeys.journeys for t in j.touches}
        keys = await _keys_of_touches(bi, combos, level)

        for key, credit in _credited(journeys.journeys, keys, model, half_life_days).items():
            outcome = result[key]
            if conversion == "lead":
                outcome.leads += credit.conversions
            elif conversion == "qualified":
                outcome.qualified += credit.conversions
            else:
                outcome.won += credit.conversions
                outcome.revenue += Decimal(repr(credit.revenue)).quantize(CENT)
        if conversion == "won":
            for key, credit in _credited(
                journeys.valued_by_cycle(), keys, model, half_life_days
            ).items():
                result[key].cycle_seconds += credit.revenue
                result[key].cycle_won += credit.conversions
    return dict(result)


def _credited(
    journeys: list[Journey],
    keys: dict[tuple[Any, ...], str],
    model: ModelName,
    half_life_days: float,
) -> dict[Key | None, Credit]:
    """`model`'s credit per campaign key, each touch keyed by the campaign it reaches."""
    keyed = [
        replace(
            j,
            touches=tuple(replace(t, campaign=keys.get(_combo(t), NONE_KEY)) for t in j.touches),
        )
        for j in journeys
    ]
    credits = credit_all(keyed, level="campaign", half_life_days=half_life_days, models=[model])
    return {_key(name): credit for name, credit in credits[model].items()}


def _key(name: str) -> Key | None:
    """A credited campaign key back as its (campaign, ...) tuple; None for none/untracked."""
    if name in (NONE_KEY, UNTRACKED):
        return None
    return tuple(v or None for v in name.split(SEPARATOR))


def _money(value: Decimal | None) -> Decimal | None:
    return value.quantize(CENT) if value is not None else None


def figures(spend: Spent, outcome: Outcomes) -> schemas.AdsFigures:
    """A row's figures from its sums (null ratios where the divisor is zero)."""
    real_roas = ratio(outcome.revenue, spend.spend)
    platform_roas = ratio(spend.value, spend.spend)
    return schemas.AdsFigures(
        spend=spend.spend.quantize(CENT),
        other_spend=[
            Money(currency=c, amount=a.quantize(CENT)) for c, a in sorted(spend.other.items())
        ],
        impressions=spend.impressions,
        clicks=spend.clicks,
        ctr=ratio(spend.clicks, spend.impressions),
        cpc=_money(spend.spend / spend.clicks) if spend.clicks and spend.spend else None,
        hook_rate=(
            ratio(spend.views_3s, spend.hooked_impressions) if spend.views_3s is not None else None
        ),
        leads=outcome.leads,
        cpl=_money(spend.spend / Decimal(repr(outcome.leads)))
        if outcome.leads and spend.spend
        else None,
        qualified=outcome.qualified,
        qualified_rate=ratio(outcome.qualified, outcome.leads),
        won=outcome.won,
        lead_to_customer_rate=ratio(outcome.won, outcome.leads),
        average_deal_value=(
            _money(outcome.revenue / Decimal(repr(outcome.won))) if outcome.won else None
        ),
        average_sales_cycle=ratio(outcome.cycle_seconds, outcome.cycle_won),
        real_revenue=outcome.revenue.quantize(CENT),
        other_revenue=[Money(currency=c, amount=a) for c, a in sorted(outcome.other.items())],
        real_roas=real_roas,
        platform_conversions=spend.conversions,
        platform_value=spend.value.quantize(CENT),
        platform_roas=platform_roas,
        roas_gap=real_roas - platform_roas
        if real_roas is not None and platform_roas is not None
        else None,
    )


def _add(total: Spent, part: Spent) -> None:
    total.spend += part.spend
    for currency, amount in part.other.items():
        total.other[currency] = total.other.get(currency, Decimal(0)) + amount
    total.impressions += part.impressions
    total.clicks += part.clicks
    total.hooked_impressions += part.hooked_impressions
    if part.views_3s is not None:
        total.views_3s = (total.views_3s or 0) + part.views_3s
    total.conversions += part.conversions
    total.value += part.value


def _add_outcome(total: Outcomes, part: Outcomes) -> None:
    total.leads += part.leads
    total.qualified += part.qualified
    total.won += part.won
    total.revenue += part.revenue
    for currency, amount in part.other.items():
        total.other[currency] = total.other.get(currency, Decimal(0)) + amount
    total.cycle_seconds += part.cycle_seconds
    total.cycle_won += part.cycle_won


async def _names(
    bi: AsyncSession, keys: Sequence[Key], level: str
) -> dict[tuple[str, ...], str | None]:
    """Current names of the campaigns, ad sets and ads of these keys, by (kind, ids)."""
    names: dict[tuple[str, ...], str | None] = {}
    if level == "platform":
        return names
    for kind, table, id_column in (
        ("campaign", AdCampaign, AdCampaign.campaign_id),
        ("ad_set", AdSet, AdSet.ad_set_id),
        ("ad", Ad, Ad.ad_id),
    ):
        if (kind == "ad_set" and level == "campaign") or (kind == "ad" and level != "ad"):
            continue
        for platform, account, object_id, name in await bi.execute(
            select(table.platform, table.account_id, id_column, table.name)
        ):
            names[(kind, platform, account, object_id)] = name
    return names


def _row(
    key: Key, level: str, names: dict[tuple[str, ...], str | None], shown: schemas.AdsFigures
) -> schemas.AdsRow:
    ids = dict(zip(LEVEL_KEYS[level], key, strict=True))
    platform, account = ids.get("platform") or "", ids.get("account_id") or ""

    def name(kind: str, object_id: str | None) -> str | None:
        return names.get((kind, platform, account, object_id)) if object_id else None

    return schemas.AdsRow(
        **ids,
        campaign_name=name("campaign", ids.get("campaign_id")),
        ad_set_name=name("ad_set", ids.get("ad_set_id")),
        ad_name=name("ad", ids.get("ad_id")),
        figures=shown,
    )


async def ads_report(
    bi: AsyncSession,
    scope: Scope,
    *,
    level: schemas.AdsLevel,
    model: ModelName,
    lookback_days: int,
    half_life_days: float,
    stored_targets: bool = True,
) -> schemas.AdsReport:
    """Spend, platform figures and real leads and sales per platform, campaign, ad set or
    ad for the period, credited by `model` (`stored_targets=False`: last touch's
    combinations all resolved in the request, as before `combination_targets`)."""
    spending = await spent(bi, scope, level)
    if model == "last_touch":
        outcomes = await _last_touch(bi, scope, level, stored_targets=stored_targets)
    else:
        outcomes = await _modelled(bi, scope, level, model, lookback_days, half_life_days)
    unattributed = outcomes.pop(None, Outcomes())
    keys = list(dict.fromkeys([*spending, *(k for k in outcomes if k is not None)]))
    names = await _names(bi, keys, level)
    total_spend, total_outcomes = Spent(), Outcomes()
    rows = []
    for key in keys:
        spend, outcome = spending.get(key, Spent()), outcomes.get(key, Outcomes())
        _add(total_spend, spend)
        _add_outcome(total_outcomes, outcome)
        rows.append(_row(key, level, names, figures(spend, outcome)))
    rows.sort(
        key=lambda r: (
            -r.figures.spend,
            -r.figures.real_revenue,
            -r.figures.leads,
            *(
                (v is None, v or "")
                for v in (r.platform, r.account_id, r.campaign_id, r.ad_set_id, r.ad_id)
            ),
        )
    )
    notes = []
    if total_spend.other:
        notes.append("other_currency_spend")
    if any(getattr(scope.filters, name) is not None for name in report_filters.FILTERED):
        notes.append("filters_select_leads")
    return schemas.AdsReport(
        range=report_range(scope),
        level=level,
        model=model,
        rows=rows,
        totals=figures(total_spend, total_outcomes),
        unattributed=figures(Spent(), unattributed),
        notes=notes,
    )
