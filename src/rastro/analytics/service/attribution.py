"""Attribution reports: one model's credits per key, or all eight side by side with each
one's shift against last touch, over the journeys of a period; and the organization's
analytics settings (the Overview's model, the default lookback and half-life)."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import schemas
from rastro.analytics.attribution import (
    MODEL_DEFINITIONS,
    MODEL_NAMES,
    Credit,
    Level,
    ModelName,
    credit_all,
)
from rastro.analytics.models import AnalyticsSettings
from rastro.analytics.service.journeys import JourneyConversion, JourneySet, load_journeys
from rastro.analytics.service.overview import Scope

CENT = Decimal("0.01")


async def get_settings(bi: AsyncSession) -> schemas.AnalyticsSettingsOut:
    """The organization's analytics settings (the defaults until it saves some)."""
    row = await bi.scalar(select(AnalyticsSettings))
    if row is None:
        return schemas.AnalyticsSettingsOut(updated_at=None)
    return schemas.AnalyticsSettingsOut(
        overview_model=row.overview_model,
        lookback_days=row.lookback_days,
        half_life_days=row.half_life_days,
        updated_at=row.updated_at,
    )


async def put_settings(
    bi: AsyncSession, organization_id: uuid.UUID, settings: schemas.AnalyticsSettingsIn
) -> schemas.AnalyticsSettingsOut:
    """Save the organization's analytics settings (one row, overwritten)."""
    values = settings.model_dump()
    await bi.execute(
        insert(AnalyticsSettings)
        .values(organization_id=organization_id, **values)
        .on_conflict_do_update(
            index_elements=[AnalyticsSettings.organization_id],
            set_={**values, "updated_at": func.now()},
        )
    )
    bi.expire_all()
    return await get_settings(bi)


def _money(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _journeys_out(journeys: JourneySet) -> schemas.AttributionJourneys:
    return schemas.AttributionJourneys(
        converting=journeys.converting,
        untracked=journeys.untracked,
        non_converting=journeys.non_converting,
        touches=journeys.touches,
    )


def _totals(journeys: JourneySet) -> tuple[float, float]:
    converting = [j for j in journeys.journeys if j.converted_at is not None]
    return float(sum(j.conversions for j in converting)), float(sum(j.revenue for j in converting))


async def attribution_report(
    bi: AsyncSession,
    scope: Scope,
    *,
    model: ModelName,
    level: schemas.AttributionLevel,
    conversion: schemas.ConversionKind,
    lookback_days: int,
    half_life_days: float,
) -> schemas.AttributionReport:
    """One model's credits per key for the period's conversions, most credited first."""
    journeys = await _load(bi, scope, conversion, lookback_days, [model], (level,))
    credits = credit_all(
        journeys.journeys,
        level=level,
        half_life_days=half_life_days,
        models=[model],
        counted=journeys.counted.get(level),
    )[model]
    conversions, revenue = _totals(journeys)
    rows = [
        schemas.AttributionRow(
            key=key,
            conversions=credit.conversions,
            revenue=_money(credit.revenue),
            share=credit.conversions / conversions if conversions else None,
        )
        for key, credit in _ranked(credits)
    ]
    return schemas.AttributionReport(
        range=_range(scope),
        model=model,
        definition=MODEL_DEFINITIONS[model],
        level=level,
        conversion=conversion,
        lookback_days=lookback_days,
        half_life_days=half_life_days,
        journeys=_journeys_out(journeys),
        conversions=conversions,
        revenue=_money(revenue),
        rows=rows,
        other_currencies=journeys.other_currencies,
    )


async def attribution_comparison(
    bi: AsyncSession,
    scope: Scope,
    *,
    level: schemas.AttributionLevel,
    conversion: schemas.ConversionKind,
    lookback_days: int,
    half_life_days: float,
) -> schemas.AttributionComparison:
    """All eight models over the same conversions, each key with every model's credit and
    its shift against last touch."""
    journeys = await _load(bi, scope, conversion, lookback_days, MODEL_NAMES, (level,))
    by_model = credit_all(
        journeys.journeys,
        level=level,
        half_life_days=half_life_days,
        counted=journeys.counted.get(level),
    )
    baseline = by_model["last_touch"]
    conversions, revenue = _totals(journeys)
    rows = [
        schemas.ComparisonRow(
            key=key,
            credits={
                name: _compared(credits.get(key), baseline.get(key))
                for name, credits in by_model.items()
            },
        )
        for key in sorted(
            baseline,
            key=lambda key: (
                -baseline[key].conversions,
                -sum(credits[key].conversions for credits in by_model.values()),
                key,
            ),
        )
    ]
    return schemas.AttributionComparison(
        range=_range(scope),
        level=level,
        conversion=conversion,
        lookback_days=lookback_days,
        half_life_days=half_life_days,
        models=[
            schemas.ModelInfo(name=name, definition=MODEL_DEFINITIONS[name]) for name in MODEL_NAMES
        ],
        journeys=_journeys_out(journeys),
        conversions=conversions,
        revenue=_money(revenue),
        rows=rows,
        other_currencies=journeys.other_currencies,
    )


def _compared(credit: Credit | None, last_touch: Credit | None) -> schemas.ComparedCredit:
    credit = credit or Credit(0.0, 0.0)
    base = last_touch.conversions if last_touch else 0.0
    shift = credit.conversions - base
    return schemas.ComparedCredit(
        conversions=credit.conversions,
        revenue=_money(credit.revenue),
        shift=shift,
        shift_ratio=shift / base if base else None,
    )


def _ranked(credits: dict[str, Credit]) -> list[tuple[str, Credit]]:
    """Most credited first (conversions, then revenue), then by key for a stable order."""
    return sorted(
        credits.items(), key=lambda item: (-item[1].conversions, -item[1].revenue, item[0])
    )


async def _load(
    bi: AsyncSession,
    scope: Scope,
    conversion: JourneyConversion,
    lookback_days: int,
    models: tuple[ModelName, ...] | list[ModelName],
    levels: tuple[Level, ...],
) -> JourneySet:
    return await load_journeys(
        bi,
        period=scope.period,
        filters=scope.filters,
        conversion=conversion,
        lookback_days=lookback_days,
        currency=scope.currency,
        non_converting=False,
        # Only the Markov chain reads the journeys that did not convert: their transitions.
        count_non_converting=levels if "markov" in models else (),
    )


def _range(scope: Scope) -> schemas.ReportRange:
    return schemas.ReportRange(
        current=scope.period,
        previous=None,
        timezone=scope.timezone,
        currency=scope.currency,
        # Attribution reads the facts and touches themselves, not the rollups.
        data_through=None,
    )


async def credit_overview(
    bi: AsyncSession,
    scope: Scope,
    overview: schemas.Overview,
    settings: schemas.AnalyticsSettingsIn,
) -> schemas.Overview:
    """The Overview with its channel and campaign tables' leads, qualified leads, won deals
    and revenue credited by the organization's Overview model (the rollups' credited touch
    stays when the model is last touch); sessions stay what the rollups counted."""
    model = settings.overview_model
    if model == "last_touch":
        return overview.model_copy(update={"attribution_model": model})
    credited: dict[tuple[str, str], dict[str, Credit]] = {}
    conversions: tuple[JourneyConversion, ...] = ("lead", "qualified", "won")
    for conversion in conversions:
        levels: tuple[Level, ...] = ("channel", "campaign")
        journeys = await _load(bi, scope, conversion, settings.lookback_days, [model], levels)
        for level in levels:
            credited[(conversion, level)] = credit_all(
                journeys.journeys,
                level=level,
                half_life_days=settings.half_life_days,
                models=[model],
                counted=journeys.counted.get(level),
            )[model]

    def rows(table: list[schemas.BreakdownRow], level: str) -> list[schemas.BreakdownRow]:
        leads, won = credited[("lead", level)], credited[("won", level)]
        qualified = credited[("qualified", level)]
        by_key = {(row.key if row.key is not None else "(none)"): row for row in table}
        out = []
        for key in dict.fromkeys([*by_key, *leads, *qualified, *won]):
            row = by_key.get(key)
            lead, sale, good = leads.get(key), won.get(key), qualified.get(key)
            sessions = row.sessions if row else 0
            n_leads = lead.conversions if lead else 0.0
            n_won = sale.conversions if sale else 0.0
            out.append(
                schemas.BreakdownRow(
                    key=row.key if row else key,
                    sessions=sessions,
                    leads=n_leads,
                    qualified=good.conversions if good else 0.0,
                    won=n_won,
                    revenue=_money(sale.revenue) if sale else Decimal(0),
                    conversion_rate=n_leads / sessions if sessions else None,
                    win_rate=n_won / n_leads if n_leads else None,
                )
            )
        return sorted(out, key=lambda r: (-r.revenue, -r.sessions, r.key or ""))

    return overview.model_copy(
        update={
            "attribution_model": model,
            "by_channel": rows(overview.by_channel, "channel"),
            "by_campaign": rows(overview.by_campaign, "campaign"),
        }
    )
