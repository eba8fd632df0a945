"""The metrics alert rules watch, one registry: each metric is a function of one subject's
day (the organization's totals or a campaign) and, for spend pace, the rule's daily budget.
A metric without a value that day (no spend) never breaches, so a paused campaign stays
quiet. Adding one (profit, once the profit report exists) is one `register` call.

- `real_roas`: won revenue credited to the subject ÷ its spend (the Ads report's figure);
- `real_cpa`: spend ÷ won sales (spend with no sale is an infinite CPA: "above" breaches);
- `cpl`: spend ÷ leads (likewise infinite with no lead);
- `spend_pace`: spend ÷ the rule's daily budget (1.2 = 20 % over);
- `no_session_spend_share`: the share of spend that no session reached (tracking health).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Unit = Literal["ratio", "money", "share"]


@dataclass(frozen=True)
class SubjectDay:
    """One subject's figures on one day (money in the organization's currency)."""

    day: date
    spend: Decimal = Decimal(0)
    revenue: Decimal = Decimal(0)
    won: float = 0.0
    leads: float = 0.0
    spend_without_sessions: Decimal = Decimal(0)


@dataclass(frozen=True)
class Metric:
    name: str
    unit: Unit
    value: Callable[[SubjectDay, Decimal | None], float | None]
    scopes: tuple[str, ...] = ("all", "campaign", "each_campaign")
    needs_budget: bool = False


def _per(spend: Decimal, count: float) -> float | None:
    if not spend:
        return None
    return float(spend) / count if count else math.inf


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> None:
    """Make a metric available to rules."""
    METRICS[metric.name] = metric


register(
    Metric(
        "real_roas",
        "ratio",
        lambda d, _: float(d.revenue) / float(d.spend) if d.spend else None,
    )
)
register(Metric("real_cpa", "money", lambda d, _: _per(d.spend, d.won)))
register(Metric("cpl", "money", lambda d, _: _per(d.spend, d.leads)))
register(
    Metric(
        "spend_pace",
        "ratio",
        lambda d, budget: float(d.spend) / float(budget) if budget else None,
        needs_budget=True,
    )
)
register(
    Metric(
        "no_session_spend_share",
        "share",
        lambda d, _: float(d.spend_without_sessions) / float(d.spend) if d.spend else None,
    )
)


def breaches(value: float | None, comparator: str, threshold: Decimal) -> bool:
    """Whether a day's value breaches the rule (no value never does)."""
    if value is None:
        return False
    return value < float(threshold) if comparator == "below" else value > float(threshold)
