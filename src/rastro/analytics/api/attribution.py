"""Routes of the attribution reports and of the organization's analytics settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rastro.analytics import schemas
from rastro.analytics.api.context import Context
from rastro.analytics.attribution import MODEL_DEFINITIONS, ModelName
from rastro.analytics.permissions import Admin, Read
from rastro.analytics.service import attribution
from rastro.core.deps import BiSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics", route_class=TransactionalRoute, responses=ERROR_RESPONSES
)

MODELS_DOC = "\n".join(f"- `{name}`: {text}" for name, text in MODEL_DEFINITIONS.items())
LEVEL = Query(description="What is credited: channel (GA4 group), source, campaign or content")
CONVERSION = Query(
    description="`lead`: leads created in the range, converting when created; `won`: deals "
    "won in the range, converting when won. Revenue is the lead's won revenue."
)
LOOKBACK = Query(
    description="Touches up to this many days before a conversion count (1-365); the "
    "organization's setting (default 90) when absent"
)
HALF_LIFE = Query(
    description="Time decay's half-life in days; the organization's setting (default 7) when absent"
)


async def _defaults(
    bi: BiSession, lookback_days: int | None, half_life_days: float | None
) -> tuple[int, float]:
    saved = await attribution.get_settings(bi)
    return (
        lookback_days if lookback_days is not None else saved.lookback_days,
        half_life_days if half_life_days is not None else saved.half_life_days,
    )


@router.get(
    "/attribution",
    response_model=schemas.AttributionReport,
    tags=["analytics"],
    description="Credits of one attribution model per key for the conversions of the range "
    "(the report's date filters; its dimension filters select conversions by the lead's own "
    "session). Each conversion's journey is every touch of the person's visitors within the "
    "lookback up to the conversion; a conversion without any is credited to `(untracked)`. "
    "Credits sum to the conversions and to the revenue in the organization's currency.\n\n"
    f"Models:\n{MODELS_DOC}",
)
async def get_attribution(
    context: Context,
    bi: BiSession,
    model: Annotated[ModelName, Query(description="One of the eight models below")],
    level: Annotated[schemas.AttributionLevel, LEVEL] = "channel",
    conversion: Annotated[schemas.ConversionKind, CONVERSION] = "lead",
    lookback_days: Annotated[schemas.LookbackDays | None, LOOKBACK] = None,
    half_life_days: Annotated[schemas.HalfLifeDays | None, HALF_LIFE] = None,
) -> schemas.AttributionReport:
    """One attribution model's credit per channel, source, campaign or content."""
    lookback, half_life = await _defaults(bi, lookback_days, half_life_days)
    return await attribution.attribution_report(
        bi,
        context.current,
        model=model,
        level=level,
        conversion=conversion,
        lookback_days=lookback,
        half_life_days=half_life,
    )


@router.get(
    "/attribution/compare",
    response_model=schemas.AttributionComparison,
    tags=["analytics"],
    description="All eight models over the same conversions, side by side: each key's "
    "credit under every model and how far the model moves it from last touch (last click)."
    f"\n\nModels:\n{MODELS_DOC}",
)
async def compare_attribution(
    context: Context,
    bi: BiSession,
    level: Annotated[schemas.AttributionLevel, LEVEL] = "channel",
    conversion: Annotated[schemas.ConversionKind, CONVERSION] = "lead",
    lookback_days: Annotated[schemas.LookbackDays | None, LOOKBACK] = None,
    half_life_days: Annotated[schemas.HalfLifeDays | None, HALF_LIFE] = None,
) -> schemas.AttributionComparison:
    """Every attribution model side by side, with each one's shift against last touch."""
    lookback, half_life = await _defaults(bi, lookback_days, half_life_days)
    return await attribution.attribution_comparison(
        bi,
        context.current,
        level=level,
        conversion=conversion,
        lookback_days=lookback,
        half_life_days=half_life,
    )


@router.get("/settings", response_model=schemas.AnalyticsSettingsOut, tags=["analytics"])
async def get_analytics_settings(principal: Read, bi: BiSession) -> schemas.AnalyticsSettingsOut:
    """The organization's analytics settings: the Overview's attribution model, the
    lookback and the time-decay half-life."""
    return await attribution.get_settings(bi)


@router.put("/settings", response_model=schemas.AnalyticsSettingsOut, tags=["analytics"])
async def put_analytics_settings(
    principal: Admin, bi: BiSession, body: schemas.AnalyticsSettingsIn
) -> schemas.AnalyticsSettingsOut:
    """Save the organization's analytics settings."""
    return await attribution.put_settings(bi, principal.organization_id, body)
