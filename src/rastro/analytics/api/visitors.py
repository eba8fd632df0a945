"""Routes of the visitor reports: new vs returning visitors and visitor behaviour."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rastro.analytics import schemas
from rastro.analytics.api.context import Context
from rastro.analytics.service import behavior, returning
from rastro.core.deps import BiSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics", route_class=TransactionalRoute, responses=ERROR_RESPONSES
)


@router.get("/visitors/returning", response_model=schemas.ReturningVisitors, tags=["analytics"])
async def get_returning_visitors(context: Context, bi: BiSession) -> schemas.ReturningVisitors:
    """Visitors grouped new (1 session in the period), returning (2-3) and frequent (4+),
    with pages per visitor and the share that became leads, in total and per domain."""
    return await returning.returning_visitors(bi, context.current)


@router.get("/behavior", response_model=schemas.Behavior, tags=["analytics"])
async def get_behavior(
    context: Context,
    bi: BiSession,
    limit: Annotated[int, Query(ge=1, le=100)] = behavior.TOP_PATHS,
) -> schemas.Behavior:
    """Pages and events per session, events by type and the `limit` most common page paths
    by views, entries and exits."""
    return await behavior.behavior(bi, context.current, limit=limit)
