"""The analytics module's shapes: attribution reports and the analytics settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from rastro.analytics.attribution import ModelName
from rastro.analytics.schemas.common import ReportRange
from rastro.analytics.schemas.visitors import ConversionKind

# Attribution (issue 17 part 3): the models are in rastro.analytics.attribution.

AttributionLevel = Literal["channel", "source", "campaign", "content"]
LookbackDays = Annotated[int, Field(ge=1, le=365)]
HalfLifeDays = Annotated[float, Field(gt=0, le=365)]


class AnalyticsSettingsIn(BaseModel):
    """An organization's analytics settings."""

    overview_model: ModelName = Field(
        default="last_touch", description="The attribution model the Overview credits with"
    )
    lookback_days: LookbackDays = Field(
        default=90, description="Touches this many days before a conversion count (1-365)"
    )
    half_life_days: HalfLifeDays = Field(default=7.0, description="Time decay's half-life in days")


class AnalyticsSettingsOut(AnalyticsSettingsIn):
    updated_at: datetime | None = Field(description="Null while the defaults apply")


class AttributionRow(BaseModel):
    key: str = Field(
        description='The channel, source, campaign or content; "(none)" when '
        'the touch had none, "(untracked)" for conversions without any touch'
    )
    conversions: float
    revenue: Decimal = Field(description="In the organization's currency, rounded to cents")
    share: float | None = Field(description="Of the credited conversions; null when none")


class AttributionJourneys(BaseModel):
    converting: int = Field(description="Conversions in the range")
    untracked: int = Field(description="Of them, without any touch within the lookback")
    non_converting: int = Field(
        description="Visitors with touches in the range and no conversion (read by Markov)"
    )
    touches: int = Field(description="Touches of the converting journeys")


class AttributionReport(BaseModel):
    range: ReportRange
    model: ModelName
    definition: str = Field(description="The model's definition and source")
    level: AttributionLevel
    conversion: ConversionKind
    lookback_days: int
    half_life_days: float
    journeys: AttributionJourneys
    conversions: float = Field(description="Total credited conversions")
    revenue: Decimal = Field(description="Total credited revenue, organization's currency")
    rows: list[AttributionRow] = Field(description="Most credited first")
    other_currencies: list[str] = Field(
        description="Currencies of won revenue other than the organization's: those "
        "conversions are credited, their revenue left out (never converted or summed)"
    )


class ComparedCredit(BaseModel):
    conversions: float
    revenue: Decimal
    shift: float = Field(description="conversions minus last touch's for this key")
    shift_ratio: float | None = Field(
        description="shift / last touch's conversions; null when last touch credits none"
    )


class ComparisonRow(BaseModel):
    key: str
    credits: dict[ModelName, ComparedCredit]


class ModelInfo(BaseModel):
    name: ModelName
    definition: str


class AttributionComparison(BaseModel):
    range: ReportRange
    level: AttributionLevel
    conversion: ConversionKind
    lookback_days: int
    half_life_days: float
    models: list[ModelInfo]
    journeys: AttributionJourneys
    conversions: float
    revenue: Decimal
    rows: list[ComparisonRow] = Field(
        description="Most credited by last touch first, then by all models together"
    )
    other_currencies: list[str]
