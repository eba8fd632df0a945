"""Public routes of the inbound CRM webhooks: `POST /api/webhooks/crm/{provider}/{token}`.

The URL token names the organization (only its SHA-256 is stored); each provider's own
scheme then verifies the raw body before anything is parsed (see
`rastro.crm.service.inbound`). A bad or missing signature is a 401 and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope, set_scope
from rastro.core.routing import read_body
from rastro.core.security import Keyring
from rastro.core.session import TransactionalRoute, crm_session
from rastro.crm.service import inbound, webhook_settings
from rastro.crm.webhook_errors import UnknownWebhookEndpoint
from rastro.crm.webhook_schemas import WebhookReceipt

MAX_BODY = 1024 * 1024

webhooks_router = APIRouter(tags=["crm webhooks"], route_class=TransactionalRoute)


@webhooks_router.post(
    "/api/webhooks/crm/{provider}/{endpoint_token}",
    response_model=WebhookReceipt,
    responses={
        401: {"description": "Bad or missing signature; nothing was stored."},
        404: {"description": "Unknown endpoint, or (generic) no such record in the organization."},
    },
)
async def receive_crm_webhook(
    request: Request,
    provider: str,
    endpoint_token: str,
    session: Annotated[AsyncSession, Depends(crm_session)],
) -> WebhookReceipt:
    """Receive deal/stage changes from HubSpot, Pipedrive, RD Station or the generic webhook."""
    if provider not in inbound.PROVIDER_CLASSES:
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
    return WebhookReceipt(provider=provider, received=len(results), results=results)
