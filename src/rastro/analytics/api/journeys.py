"""Routes of the journeys report (paths of channels before a conversion)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rastro.analytics import schemas
from rastro.analytics.api.context import Context
from rastro.analytics.service import journey_paths, journeys
from rastro.core.deps import BiSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics", route_class=TransactionalRoute, responses=ERROR_RESPONSES
)


@router.get("/journeys", response_model=schemas.Journeys, tags=["analytics"])
async def get_journeys(
    context: Context,
    bi: BiSession,
    conversion: schemas.ConversionKind = "lead",
    lookback_days: Annotated[int, Query(ge=1, le=365)] = journeys.DEFAULT_LOOKBACK_DAYS,
    limit: Annotated[int, Query(ge=1, le=100)] = journey_paths.TOP_PATHS,
) -> schemas.Journeys:
    """The most common paths of channels (consecutive repeats collapsed) before the leads
    created, or the deals won, in the period: conversions, revenue, average touches and
    time to convert per path, and the links of a flow chart (at most 5 steps)."""
    return await journey_paths.journey_paths(
        bi, context.current, conversion=conversion, lookback_days=lookback_days, limit=limit
    )
