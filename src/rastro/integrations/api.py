"""Routes of the integrations module, under the paths they had in the CRM module:

- push destinations (`/api/crm/destinations`) and the integrations log
  (`/api/integrations-log`), with its retry button;
- the inbound CRM webhooks' admin: URL token and generic secret (shown once), stage
  mappings, and the review list of deliveries that could not be placed (`/api/crm/...`);
- the inbound CRM webhooks themselves: `POST /api/webhooks/crm/{provider}/{token}`. The URL
  token names the organization (only its SHA-256 is stored); each provider's own scheme
  then verifies the raw body before anything is parsed (see `service.inbound`). A bad or
  missing signature is a 401 and nothing is stored.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope, set_scope
from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.routing import read_body
from rastro.core.security import Keyring
from rastro.core.session import TransactionalRoute
from rastro.integrations import schemas
from rastro.integrations.errors import UnknownWebhookEndpoint
from rastro.integrations.permissions import Admin, Read, Write
from rastro.integrations.service import destinations, inbound, pushes, webhook_settings

MAX_BODY = 1024 * 1024

# --- push destinations and the integrations log ----------------------------------------------

router = APIRouter(prefix="/api", route_class=TransactionalRoute, responses=ERROR_RESPONSES)


def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


@router.get(
    "/crm/destinations", response_model=Page[schemas.Destination], tags=["crm-destinations"]
)
async def list_destinations(
    _: Read, session: CrmSession, params: Pagination
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
    body: schemas.DestinationCreate, _: Admin, session: CrmSession
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
    destination_id: uuid.UUID, _: Read, session: CrmSession
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
    destination_id: uuid.UUID, body: schemas.DestinationUpdate, _: Admin, session: CrmSession
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
async def delete_destination(destination_id: uuid.UUID, _: Admin, session: CrmSession) -> Response:
    """Delete a destination; its log entries are kept."""
    await destinations.delete_destination(session, destination_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/crm/destinations/{destination_id}/test",
    response_model=schemas.DestinationTestResult,
    tags=["crm-destinations"],
)
async def test_destination(
    destination_id: uuid.UUID, principal: Admin, session: CrmSession, request: Request
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
    session: CrmSession,
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
    log_id: uuid.UUID, _: Read, session: CrmSession
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
    log_id: uuid.UUID, _: Write, session: CrmSession
) -> schemas.IntegrationLog:
    """Queue a fresh attempt of a failed push; answers with its pending log entry."""
    return schemas.IntegrationLog.model_validate(await pushes.retry_log(session, log_id))


# --- inbound webhooks: their admin ------------------------------------------------------------

webhook_admin_router = APIRouter(
    prefix="/api/crm", route_class=TransactionalRoute, responses=ERROR_RESPONSES, tags=["crm"]
)


def _url_template(request: Request, provider: str) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}/api/webhooks/crm/{provider}/{{token}}"


@webhook_admin_router.get("/webhooks", response_model=schemas.WebhookConfig)
async def get_webhook_config(
    request: Request, _: Admin, session: CrmSession
) -> schemas.WebhookConfig:
    """The inbound webhook set-up: token state and, per provider, its URL and credential."""
    token = await webhook_settings.token_state(session)
    configured = await webhook_settings.configured_providers(session)
    return schemas.WebhookConfig(
        token_configured=token.configured,
        token_hint=token.hint,
        token_rotated_at=token.rotated_at,
        providers=[
            schemas.ProviderEndpoint(
                provider=provider,
                url_template=_url_template(request, provider),
                credential_service=webhook_settings.CREDENTIAL_SERVICES[provider],
                credential_configured=configured[provider],
                verification=inbound.PROVIDERS[provider].verification,
            )
            for provider in webhook_settings.PROVIDERS
        ],
    )


@webhook_admin_router.post("/webhooks/rotate-token", response_model=schemas.IssuedWebhookToken)
async def rotate_webhook_token(
    request: Request, _: Admin, session: CrmSession
) -> schemas.IssuedWebhookToken:
    """Issue a new URL token (shown once); URLs with the previous one stop working."""
    issued = await webhook_settings.rotate_token(session)
    return schemas.IssuedWebhookToken(
        token=issued.token,
        token_hint=issued.hint,
        rotated_at=issued.rotated_at,
        urls={
            p: _url_template(request, p).replace("{token}", issued.token)
            for p in webhook_settings.PROVIDERS
        },
    )


@webhook_admin_router.post(
    "/webhooks/rotate-generic-secret", response_model=schemas.IssuedGenericSecret
)
async def rotate_generic_secret(
    request: Request, principal: Admin, session: CrmSession
) -> schemas.IssuedGenericSecret:
    """Generate the generic webhook's HMAC secret (shown once; kept encrypted in the vault)."""
    keyring: Keyring = request.app.state.keyring
    credential_id, secret = await webhook_settings.rotate_generic_secret(
        session, keyring, created_by_id=principal.user_id
    )
    return schemas.IssuedGenericSecret(secret=secret, credential_id=credential_id)


async def _mappings(session: AsyncSession) -> schemas.StageMappings:
    custom = await webhook_settings.stage_mappings(session)
    return schemas.StageMappings.model_validate(
        {
            "mappings": custom,
            "defaults": webhook_settings.DEFAULT_STAGE_MAPPINGS,
            "effective": webhook_settings.effective_mappings(custom),
        }
    )


@webhook_admin_router.get("/stage-mappings", response_model=schemas.StageMappings)
async def get_stage_mappings(_: Admin, session: CrmSession) -> schemas.StageMappings:
    """Per provider: their stage ids/names and the stage of ours each maps to."""
    return await _mappings(session)


@webhook_admin_router.put("/stage-mappings", response_model=schemas.StageMappings)
async def put_stage_mappings(
    body: schemas.StageMappingsUpdate, _: Admin, session: CrmSession
) -> schemas.StageMappings:
    """Replace the organization's own stage mappings (the defaults stay underneath)."""
    await webhook_settings.set_stage_mappings(session, body.mappings)
    return await _mappings(session)


@webhook_admin_router.get("/webhook-deliveries", response_model=Page[schemas.WebhookDelivery])
async def list_webhook_deliveries(
    _: Admin,
    session: CrmSession,
    params: Pagination,
    status: Annotated[str | None, Query(max_length=20)] = None,
    provider: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[schemas.WebhookDelivery]:
    """Received CRM events, newest first; `status=review` is the review list."""
    rows, total = await inbound.list_deliveries(session, params, status=status, provider=provider)
    return Page.of([schemas.WebhookDelivery.model_validate(r) for r in rows], total, params)


@webhook_admin_router.post(
    "/webhook-deliveries/{delivery_id}/resolve", response_model=schemas.WebhookDelivery
)
async def resolve_webhook_delivery(
    delivery_id: uuid.UUID,
    body: schemas.ResolveDelivery,
    principal: Admin,
    session: CrmSession,
) -> schemas.WebhookDelivery:
    """Apply a review item to a lead (optionally choosing our stage), or dismiss it."""
    delivery = await inbound.resolve_delivery(
        session,
        delivery_id,
        action=body.action,
        lead_id=body.lead_id,
        stage=body.stage,
        actor=f"{principal.kind}:{principal.id}",
    )
    return schemas.WebhookDelivery.model_validate(delivery)


# --- inbound webhooks: the public endpoint ----------------------------------------------------

webhooks_router = APIRouter(tags=["crm webhooks"], route_class=TransactionalRoute)


@webhooks_router.post(
    "/api/webhooks/crm/{provider}/{endpoint_token}",
    response_model=schemas.WebhookReceipt,
    responses={
        401: {"description": "Bad or missing signature; nothing was stored."},
        404: {"description": "Unknown endpoint, or (generic) no such record in the organization."},
    },
)
async def receive_crm_webhook(
    request: Request,
    provider: str,
    endpoint_token: str,
    session: CrmSession,
) -> schemas.WebhookReceipt:
    """Receive deal/stage changes from HubSpot, Pipedrive, RD Station or the generic webhook."""
    if provider not in inbound.PROVIDERS:
        raise UnknownWebhookEndpoint()
    body = await read_body(request, MAX_BODY, "The webhook body is larger than 1 MB.")
    organization_id = await webhook_settings.organization_for_token(session, endpoint_token)
    if organization_id is None:
        raise UnknownWebhookEndpoint()
    await set_scope(session, Scope.organization(organization_id))
    keyring: Keyring = request.app.state.keyring
    results = await inbound.receive_webhook(
        session,
        keyring,
        provider=provider,
        request=inbound.SignedRequest(
            method=request.method,
            url=str(request.url),
            headers=request.headers,
            query=request.query_params,
            body=body,
        ),
    )
    return schemas.WebhookReceipt(provider=provider, received=len(results), results=results)
