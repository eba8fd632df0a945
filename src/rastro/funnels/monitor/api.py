"""Route of the funnel monitor: the snapshot a monitor page reads on every (re)connection
before following the funnel's live events (`join_funnel`, `service.live`)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute
from rastro.funnels.builder.permissions import Read
from rastro.funnels.monitor import schemas
from rastro.funnels.monitor.service import snapshot

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such funnel in this organization"}
}

router = APIRouter(
    prefix="/api/funnels",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["funnels"],
)


@router.get("/{funnel_id}/monitor", response_model=schemas.FunnelMonitor, responses=_NOT_FOUND)
async def funnel_monitor(
    funnel_id: uuid.UUID, principal: Read, crm: CrmSession, bi: BiSession
) -> schemas.FunnelMonitor:
    """The funnel's steps with the visitors on each now, the online visitors (source,
    device, step), the latest payments and today's paid revenue."""
    return await snapshot.funnel_monitor(
        crm, bi, organization_id=principal.organization_id, funnel_id=funnel_id
    )
