"""Routes of the CRM's deals: the list, one deal, creation, edits and deletion."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.crm import schemas
from rastro.crm.api.owners import NOT_FOUND, actor
from rastro.crm.permissions import Read, Write
from rastro.crm.service import deals

router = APIRouter(route_class=TransactionalRoute, responses={**ERROR_RESPONSES, **NOT_FOUND})


@router.get("/deals", response_model=Page[schemas.Deal], tags=["crm"])
async def list_deals(
    _: Read,
    session: CrmSession,
    params: Pagination,
    stage: Annotated[list[schemas.Stage] | None, Query()] = None,
    owner_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    close_from: Annotated[date | None, Query(description="Expected close date, inclusive")] = None,
    close_to: Annotated[date | None, Query(description="Expected close date, inclusive")] = None,
) -> Page[schemas.Deal]:
    """Deals, newest first."""
    rows, total = await deals.list_deals(
        session,
        params,
        stages=stage or (),
        owner_id=owner_id,
        lead_id=lead_id,
        contact_id=contact_id,
        created_from=created_from,
        created_to=created_to,
        close_from=close_from,
        close_to=close_to,
    )
    return Page.of([schemas.Deal.model_validate(d) for d in rows], total, params)


@router.post(
    "/deals", response_model=schemas.Deal, status_code=status.HTTP_201_CREATED, tags=["crm"]
)
async def create_deal(
    body: schemas.DealCreate, principal: Write, session: CrmSession
) -> schemas.Deal:
    """Open a deal for a lead and/or contact."""
    deal = await deals.create_deal(session, body, actor=await actor(session, principal))
    return schemas.Deal.model_validate(deal)


@router.get("/deals/{deal_id}", response_model=schemas.Deal, tags=["crm"])
async def get_deal(deal_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.Deal:
    """One deal."""
    return schemas.Deal.model_validate(await deals.get_deal(session, deal_id))


@router.patch("/deals/{deal_id}", response_model=schemas.Deal, tags=["crm"])
async def update_deal(
    deal_id: uuid.UUID, body: schemas.DealUpdate, principal: Write, session: CrmSession
) -> schemas.Deal:
    """Change a deal's stage, value, probability, owner or expected close date."""
    deal = await deals.update_deal(session, deal_id, body, actor=await actor(session, principal))
    return schemas.Deal.model_validate(deal)


@router.delete("/deals/{deal_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["crm"])
async def delete_deal(deal_id: uuid.UUID, principal: Write, session: CrmSession) -> Response:
    """Delete a deal with its tasks and notes."""
    await deals.delete_deal(session, deal_id, actor=await actor(session, principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
