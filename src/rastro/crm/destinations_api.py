"""Routes of push destinations (`/api/crm/destinations`) and the integrations log
(`/api/integrations-log`), with its retry button."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page, PageParams, page_params
from rastro.core.principal import Principal, require
from rastro.core.security import Keyring
from rastro.core.session import TransactionalRoute, crm_session
from rastro.crm import destinations_schemas as schemas
from rastro.crm import permissions
from rastro.crm.service import destinations, pushes

Session = Annotated[Any, Depends(crm_session)]
Pagination = Annotated[PageParams, Depends(page_params)]
Read = Annotated[Principal, Depends(require(permissions.CRM_READ))]
Write = Annotated[Principal, Depends(require(permissions.CRM_WRITE))]
Admin = Annotated[Principal, Depends(require(permissions.CRM_ADMIN))]

router = APIRouter(prefix="/api", route_class=TransactionalRoute, responses=ERROR_RESPONSES)


def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


@router.get(
    "/crm/destinations", response_model=Page[schemas.Destination], tags=["crm-destinations"]
)
async def list_destinations(
    _: Read, session: Session, params: Pagination
) -> Page[schemas.Destination]:
    """Where the organization's leads are pushed."""
    rows, total = await destinations.list_destinations(session, params)
    return Page.of([schemas.Destination.model_validate(r) for r in rows], total, params)


@router.post(
    "/crm/destinations",
    response_model=schemas.Destination,
    status_code=status.HTTP_201_CREATED,
    tags=["crm-destinations"],
)
async def create_destination(
    body: schemas.DestinationCreate, _: Admin, session: Session
) -> schemas.Destination:
    """Add a CRM or webhook destination (its credential must be for the same service)."""
    destination = await destinations.create_destination(
        session,
        name=body.name,
        integration_name=body.integration_name,
        credential_id=body.credential_id,
        settings=body.settings,
        events=list(body.events),
        is_active=body.is_active,
    )
    return schemas.Destination.model_validate(destination)


@router.get(
    "/crm/destinations/{destination_id}",
    response_model=schemas.Destination,
    tags=["crm-destinations"],
)
async def get_destination(
    destination_id: uuid.UUID, _: Read, session: Session
) -> schemas.Destination:
    """One destination."""
    return schemas.Destination.model_validate(
        await destinations.get_destination(session, destination_id)
    )


@router.patch(
    "/crm/destinations/{destination_id}",
    response_model=schemas.Destination,
    tags=["crm-destinations"],
)
async def update_destination(
    destination_id: uuid.UUID, body: schemas.DestinationUpdate, _: Admin, session: Session
) -> schemas.Destination:
    """Change a destination's name, credential, settings, events or active flag."""
    changes = body.model_dump(exclude_unset=True)
    if "credential_id" in changes and changes["credential_id"] is None:
        changes.pop("credential_id")
    destination = await destinations.update_destination(session, destination_id, changes)
    return schemas.Destination.model_validate(destination)


@router.delete(
    "/crm/destinations/{destination_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["crm-destinations"],
)
async def delete_destination(destination_id: uuid.UUID, _: Admin, session: Session) -> Response:
    """Delete a destination; its log entries are kept."""
    await destinations.delete_destination(session, destination_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/crm/destinations/{destination_id}/test",
    response_model=schemas.DestinationTestResult,
    tags=["crm-destinations"],
)
async def test_destination(
    destination_id: uuid.UUID, principal: Admin, session: Session, request: Request
) -> schemas.DestinationTestResult:
    """Send a sample lead to the destination now and show the request and the answer."""
    outcome = await pushes.send_test_lead(
        session,
        _keyring(request),
        principal.organization_id,
        destination_id,
        call_timeout=request.app.state.settings.crm_push_timeout_seconds,
    )
    return schemas.DestinationTestResult(
        ok=outcome.ok,
        http_status=outcome.http_status,
        external_id=outcome.external_id,
        error=outcome.error,
        request=outcome.request,
        response=outcome.response,
    )


@router.get(
    "/integrations-log", response_model=Page[schemas.IntegrationLog], tags=["crm-destinations"]
)
async def list_integration_log(
    _: Read,
    session: Session,
    params: Pagination,
    lead_id: uuid.UUID | None = None,
    destination_id: uuid.UUID | None = None,
    status: Annotated[schemas.PushStatus | None, Query()] = None,
    event: Annotated[schemas.PushEvent | None, Query()] = None,
) -> Page[schemas.IntegrationLog]:
    """Push attempts, newest first (one row per attempt)."""
    rows, total = await pushes.list_logs(
        session, params, lead_id=lead_id, destination_id=destination_id, status=status, event=event
    )
    return Page.of([schemas.IntegrationLog.model_validate(r) for r in rows], total, params)


@router.get(
    "/integrations-log/{log_id}",
    response_model=schemas.IntegrationLog,
    tags=["crm-destinations"],
)
async def get_integration_log(
    log_id: uuid.UUID, _: Read, session: Session
) -> schemas.IntegrationLog:
    """One push attempt with its request and response."""
    return schemas.IntegrationLog.model_validate(await pushes.get_log(session, log_id))


@router.post(
    "/integrations-log/{log_id}/retry",
    response_model=schemas.IntegrationLog,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["crm-destinations"],
)
async def retry_integration_log(
    log_id: uuid.UUID, _: Write, session: Session
) -> schemas.IntegrationLog:
    """Queue a fresh attempt of a failed push; answers with its pending log entry."""
    return schemas.IntegrationLog.model_validate(await pushes.retry_log(session, log_id))
