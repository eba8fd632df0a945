"""Journeys report: the most common paths of channels before a lead or a won deal, with
conversions, revenue, touches and time to convert, and the links of a flow chart.

The conversions are the leads created (`lead`) or won (`won`) in the period whose credited
touch matches the filters. A path is the person's channels within the lookback up to the
conversion, consecutive repeats collapsed ("Paid Social > Organic Search > Direct").
Revenue is the won revenue of those leads in the organization's currency (for `lead`: of
the leads that went on to be won, whenever); other currencies are left out and listed.
Touches are counted before collapsing; the time to convert runs from the first touch in
the lookback to the conversion.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import schemas
from rastro.analytics.attribution import Touch
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service.journeys import collapsed_channels, journey_touches
from rastro.analytics.service.overview import Scope, ratio, report_range

TOP_PATHS = 20
FLOW_STEPS = 5
SEPARATOR = " > "


@dataclass
class _PathTotals:
    conversions: int = 0
    revenue: Decimal = Decimal(0)
    touches: int = 0
    seconds: float = 0.0


@dataclass
class _Flow:
    nodes: dict[tuple[int | None, str], int] = field(default_factory=dict)
    links: dict[tuple[int, int], int] = field(default_factory=dict)
    truncated: int = 0

    def node(self, step: int | None, name: str) -> int:
        return self.nodes.setdefault((step, name), len(self.nodes))

    def add(self, channels: list[str], conversion: str) -> None:
        steps = channels[:FLOW_STEPS]
        self.truncated += len(channels) > FLOW_STEPS
        indices = [self.node(i + 1, c) for i, c in enumerate(steps)]
        indices.append(self.node(None, conversion))
        for source, target in itertools.pairwise(indices):
            self.links[(source, target)] = self.links.get((source, target), 0) + 1


def _conversions(scope: Scope, conversion: schemas.ConversionKind) -> Any:
    f = ConversionFact
    moment = f.created_at if conversion == "lead" else f.won_at
    period = scope.period
    return (
        select(
            f.lead_id,
            moment.label("converted_at"),
            f.visitor_ids,
            f.updated_at,
            f.revenue,
            f.currency,
        )
        .where(
            moment >= period.start,
            moment < period.end,
            *report_filters.conditions(f.__table__, scope.filters),
        )
        .subquery("conversions")
    )


def _revenue(row: Any, currency: str) -> Decimal:
    if row.revenue is None or row.currency != currency:
        return Decimal(0)
    return Decimal(row.revenue)


async def journey_paths(
    bi: AsyncSession,
    scope: Scope,
    *,
    conversion: schemas.ConversionKind,
    lookback_days: int,
    limit: int = TOP_PATHS,
) -> schemas.Journeys:
    """The period's conversions by their path of channels (top `limit`), with the flow."""
    conversions = _conversions(scope, conversion)
    rows = list(await bi.execute(select(conversions)))
    journeys = await journey_touches(
        bi,
        conversions,
        lookback_days=lookback_days,
        since=scope.period.start,
        until=scope.period.end,
    )
    paths: dict[tuple[str, ...], _PathTotals] = {}
    flow = _Flow()
    revenue = Decimal(0)
    other_currencies: set[str] = set()
    touches = 0
    seconds = 0.0
    for row in rows:
        if row.revenue is not None and row.currency != scope.currency:
            other_currencies.add(row.currency)
        journey: list[Touch] = journeys.get(row.lead_id, [])
        if not journey:
            continue
        channels = collapsed_channels(journey)
        totals = paths.setdefault(tuple(channels), _PathTotals())
        amount = _revenue(row, scope.currency)
        elapsed = (row.converted_at - journey[0].at).total_seconds()
        totals.conversions += 1
        totals.revenue += amount
        totals.touches += len(journey)
        totals.seconds += elapsed
        revenue += amount
        touches += len(journey)
        seconds += elapsed
        flow.add(channels, conversion)
    with_touches = sum(t.conversions for t in paths.values())
    ranked = sorted(
        paths.items(), key=lambda item: (-item[1].conversions, -item[1].revenue, item[0])
    )[:limit]
    return schemas.Journeys(
        range=report_range(scope),
        conversion=conversion,
        lookback_days=lookback_days,
        conversions=len(rows),
        with_touches=with_touches,
        without_touches=len(rows) - with_touches,
        distinct_paths=len(paths),
        revenue=revenue,
        average_touches=ratio(touches, with_touches),
        average_time_to_convert=ratio(seconds, with_touches),
        other_currencies=sorted(other_currencies),
        paths=[
            schemas.JourneyPath(
                channels=list(channels),
                label=SEPARATOR.join(channels),
                conversions=totals.conversions,
                share=ratio(totals.conversions, with_touches),
                revenue=totals.revenue,
                average_touches=totals.touches / totals.conversions,
                average_time_to_convert=totals.seconds / totals.conversions,
            )
            for channels, totals in ranked
        ],
        flow=schemas.JourneyFlow(
            max_steps=FLOW_STEPS,
            truncated_paths=flow.truncated,
            nodes=[
                schemas.FlowNode(step=step, name=name)
                for (step, name), _ in sorted(flow.nodes.items(), key=lambda n: n[1])
            ],
            links=[
                schemas.FlowLink(source=source, target=target, value=value)
                for (source, target), value in sorted(flow.links.items())
            ],
        ),
    )


__all__ = ["journey_paths"]
