"""Admin routes of the inbound CRM webhooks: the URL token and generic secret (shown once),
stage mappings, and the review list of deliveries that could not be placed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page, PageParams, page_params
from rastro.core.principal import Principal, require
from rastro.core.security import Keyring
from rastro.core.session import TransactionalRoute, crm_session
from rastro.crm import permissions
from rastro.crm import webhook_schemas as schemas
from rastro.crm.service import inbound, settings, webhook_settings

CrmSession = Annotated[AsyncSession, Depends(crm_session)]
Admin = Annotated[Principal, Depends(require(permissions.CRM_ADMIN))]
Pagination = Annotated[PageParams, Depends(page_params)]

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
    row = await settings.stored(session)
    configured = await webhook_settings.configured_providers(session)
    return schemas.WebhookConfig(
        token_configured=row.webhook_token_hash is not None,
        token_hint=row.webhook_token_hint,
        token_rotated_at=row.webhook_token_rotated_at,
        providers=[
            schemas.ProviderEndpoint(
                provider=provider,
                url_template=_url_template(request, provider),
                credential_service=webhook_settings.CREDENTIAL_SERVICES[provider],
                credential_configured=configured[provider],
                verification=inbound.PROVIDER_CLASSES[provider].verification,
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
