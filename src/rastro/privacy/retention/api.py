"""`/api/privacy/retention`: how long personal data is kept in clear, and the latest
anonymisation run."""

from __future__ import annotations

from fastapi import APIRouter

from rastro.core.deps import CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.jobs import enqueue_once
from rastro.core.session import TransactionalRoute
from rastro.privacy.retention import service
from rastro.privacy.retention.jobs import ANONYMISE_TASK
from rastro.privacy.retention.permissions import Admin, Read
from rastro.privacy.retention.schemas import Retention, RetentionUpdate

router = APIRouter(
    prefix="/api/privacy",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["privacy"],
)


@router.get("/retention", response_model=Retention)
async def get_retention(_: Read, session: CrmSession) -> Retention:
    """The retention in force (6 months until changed) and the latest anonymisation."""
    return await service.get_retention(session)


@router.put("/retention", response_model=Retention)
async def put_retention(body: RetentionUpdate, principal: Admin, session: CrmSession) -> Retention:
    """Change the retention; the next daily anonymisation applies it."""
    return await service.set_retention(
        session, principal.organization_id, months=body.retention_months
    )


@router.post("/retention/run", status_code=202, response_model=Retention)
async def run_anonymisation(principal: Admin, session: CrmSession) -> Retention:
    """Queue the organization's anonymisation now (once: a queued run is not doubled)."""
    await enqueue_once(
        session,
        ANONYMISE_TASK,
        queueing_lock=f"privacy.anonymise:{principal.organization_id}",
        args={"organization_id": str(principal.organization_id)},
        queue="maintenance",
    )
    return await service.get_retention(session)
