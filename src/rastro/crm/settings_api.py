"""`/api/crm/settings`: the organization's lead rules — the country of phone numbers
written without `+`, which touch gets the credit, and the scoring rules."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import phonenumbers
from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from rastro.core.deps import CrmSession
from rastro.core.errors import ERROR_RESPONSES, field_error
from rastro.core.session import TransactionalRoute
from rastro.crm.permissions import Admin, Read
from rastro.crm.service import scoring, settings

router = APIRouter(
    prefix="/api/crm", route_class=TransactionalRoute, responses=ERROR_RESPONSES, tags=["crm"]
)


class LeadRules(BaseModel):
    default_country: Annotated[str, Field(min_length=2, max_length=2)] = "BR"
    attribution_credit: Literal["first_touch", "last_touch"] = "first_touch"
    # Partial overrides of the default rules, e.g. {"thresholds": {"A": 80}}.
    scoring_rules: dict[str, dict[str, float]] = Field(default_factory=dict)

    @field_validator("default_country")
    @classmethod
    def _region(cls, value: str) -> str:
        value = value.upper()
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("not a country code phonenumbers knows (ISO 3166-1 alpha-2)")
        return value


class LeadRulesOut(LeadRules):
    effective_scoring_rules: dict[str, Any]
    default_scoring_rules: dict[str, Any] = Field(
        default_factory=lambda: scoring.merged_rules(None),
        description="The rules before any override (what a value equal to it means)",
    )


def _check_scoring(rules: dict[str, dict[str, float]]) -> None:
    for part, values in rules.items():
        known = scoring.DEFAULT_RULES.get(part)
        if known is None:
            raise field_error(f"body.scoring_rules.{part}", "Unknown part of the scoring rules.")
        for key in values:
            if key not in known:
                raise field_error(f"body.scoring_rules.{part}.{key}", "Unknown rule.")
    thresholds = scoring.merged_rules(rules)["thresholds"]
    if not 0 < thresholds["C"] < thresholds["B"] < thresholds["A"] <= 100:
        raise field_error("body.scoring_rules.thresholds", "Needs 0 < C < B < A <= 100.")
    if any(v < 0 for v in scoring.merged_rules(rules)["weights"].values()):
        raise field_error("body.scoring_rules.weights", "Weights cannot be negative.")


def _out(row: Any) -> LeadRulesOut:
    return LeadRulesOut(
        default_country=row.default_country,
        attribution_credit=row.attribution_credit,
        scoring_rules=row.scoring_rules or {},
        effective_scoring_rules=scoring.merged_rules(row.scoring_rules),
    )


@router.get("/settings", response_model=LeadRulesOut)
async def get_lead_rules(
    _: Read,
    session: CrmSession,
) -> LeadRulesOut:
    """The lead rules in force (defaults until changed)."""
    return _out(await settings.current(session))


@router.put("/settings", response_model=LeadRulesOut)
async def put_lead_rules(
    body: LeadRules,
    _: Admin,
    session: CrmSession,
) -> LeadRulesOut:
    """Change the lead rules; they apply to leads captured from now on (by the other
    server processes within 5 seconds: each keeps the rules that long)."""
    _check_scoring(body.scoring_rules)
    row = await settings.stored(session)
    row.default_country = body.default_country
    row.attribution_credit = body.attribution_credit
    row.scoring_rules = body.scoring_rules
    await session.flush()
    settings.forget(row.organization_id)
    return _out(row)


class SampleLead(BaseModel):
    """What a sample lead brings, for the score preview."""

    has_name: bool = True
    has_email: bool = True
    has_phone: bool = False
    business_email: bool = False
    disposable_email: bool = False
    has_company: bool = False
    has_message: bool = False
    page_views: Annotated[int, Field(ge=0, le=10_000)] = 1
    events: Annotated[int, Field(ge=0, le=100_000)] = 0
    seconds_on_site: Annotated[int, Field(ge=0, le=86_400)] = 0
    returning: bool = False
    paid_click: bool = False


class ScorePreviewIn(BaseModel):
    scoring_rules: dict[str, dict[str, float]] = Field(default_factory=dict)
    sample: SampleLead = Field(default_factory=SampleLead)


class ScorePreview(BaseModel):
    demographic: int
    behavioral: int
    firmographic: int
    total: int
    grade: Literal["A", "B", "C", "D"]


@router.post("/settings/score-preview", response_model=ScorePreview)
async def preview_score(body: ScorePreviewIn, _: Read) -> ScorePreview:
    """The score a sample lead would get under these scoring rules (nothing is saved):
    the same formula as lead capture."""
    _check_scoring(body.scoring_rules)
    breakdown = scoring.score(scoring.Signals(**body.sample.model_dump()), body.scoring_rules)
    return ScorePreview.model_validate(breakdown)
