"""Lead score A-D from three sub-scores (seed 001 `metadata.scoring`).

Each sub-score adds the points of the signals present, clamped to 0-100; the total is
their weighted mean; the grade is the first threshold the total reaches (else D).
An organization overrides any part of `DEFAULT_RULES` in `crm_settings.scoring_rules`
(a partial dict, merged key by key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_RULES: dict[str, Any] = {
    "weights": {"demographic": 0.3, "behavioral": 0.4, "firmographic": 0.3},
    "thresholds": {"A": 75, "B": 50, "C": 25},
    # Who the person is: what the form told us.
    "demographic": {"name": 20, "email": 40, "phone": 40},
    # What they did on the site (from the converting session in the BI database).
    "behavioral": {
        "per_page_view": 10,
        "page_view_cap": 40,
        "per_event": 4,
        "event_cap": 20,
        "per_minute": 5,
        "minute_cap": 20,
        "returning_visitor": 20,
        "paid_click": 0,
    },
    # The company behind them.
    "firmographic": {
        "business_email": 50,
        "company": 30,
        "message": 20,
        "disposable_email": -100,
    },
}


@dataclass(frozen=True)
class Signals:
    has_name: bool
    has_email: bool
    has_phone: bool
    business_email: bool
    disposable_email: bool
    has_company: bool
    has_message: bool
    page_views: int = 0
    events: int = 0
    seconds_on_site: int = 0
    returning: bool = False
    paid_click: bool = False


def merged_rules(overrides: dict[str, Any] | None) -> dict[str, Any]:
    rules = {key: dict(value) for key, value in DEFAULT_RULES.items()}
    for key, value in (overrides or {}).items():
        if key in rules and isinstance(value, dict):
            rules[key].update(value)
    return rules


def _clamp(value: float) -> int:
    return int(max(0, min(100, round(value))))


def score(signals: Signals, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The breakdown stored in `leads.metadata.scoring`, with its `grade`."""
    rules = merged_rules(overrides)
    demo, behave, firm = rules["demographic"], rules["behavioral"], rules["firmographic"]
    demographic = _clamp(
        demo["name"] * signals.has_name
        + demo["email"] * signals.has_email
        + demo["phone"] * signals.has_phone
    )
    behavioral = _clamp(
        min(behave["per_page_view"] * signals.page_views, behave["page_view_cap"])
        + min(behave["per_event"] * signals.events, behave["event_cap"])
        + min(behave["per_minute"] * (signals.seconds_on_site // 60), behave["minute_cap"])
        + behave["returning_visitor"] * signals.returning
        + behave["paid_click"] * signals.paid_click
    )
    firmographic = _clamp(
        firm["business_email"] * signals.business_email
        + firm["company"] * signals.has_company
        + firm["message"] * signals.has_message
        + firm["disposable_email"] * signals.disposable_email
    )
    weights = rules["weights"]
    weight_sum = sum(float(weights[k]) for k in ("demographic", "behavioral", "firmographic"))
    total = _clamp(
        (
            demographic * float(weights["demographic"])
            + behavioral * float(weights["behavioral"])
            + firmographic * float(weights["firmographic"])
        )
        / (weight_sum or 1)
    )
    grade = "D"
    for letter in ("A", "B", "C"):
        if total >= float(rules["thresholds"][letter]):
            grade = letter
            break
    return {
        "demographic": demographic,
        "behavioral": behavioral,
        "firmographic": firmographic,
        "total": total,
        "grade": grade,
    }
