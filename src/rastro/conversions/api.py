"""Routes of the conversions module: the conversions list and detail with their sync
log, creation by API, "retry now", "send again", the platforms' health and the settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions import schemas
from rastro.conversions.models import DEFAULT_WINDOWS, ConversionSync, OfflineConversion
from rastro.conversions.permissions import Admin, Read, Write
from rastro.conversions.service import health, orders, records
from rastro.conversions.service import settings as conversion_settings
from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.crm.schemas import LeadConversionFacts

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found in the caller's organization."}
}
router = APIRouter(
    prefix="/api/conversions",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["conversions"],
)


def _conversion(
    conversion: OfflineConversion,
    lead: LeadConversionFacts | None,
    syncs: list[ConversionSync],
) -> schemas.Conversion:
    out = schemas.Conversion.model_validate(conversion)
    out.platforms = [schemas.PlatformSync.model_validate(s) for s in syncs]
    if lead is not None:
        out.lead_name = lead.name
        out.campaign = lead.campaign
    return out


async def _one(session: AsyncSession, conversion: OfflineConversion) -> schemas.Conversion:
    leads = await records.leads_of(session, [conversion])
    syncs = await records.syncs_of(session, [conversion.conversion_id])
    return _conversion(conversion, leads.get(conversion.lead_id), syncs[conversion.conversion_id])


@router.get("", response_model=Page[schemas.Conversion])
async def list_conversions(
    _: Read,
    session: CrmSession,
    params: Pagination,
    status_: Annotated[
        schemas.SyncStatus | None,
        Query(alias="status", description="A platform's status (see `platform`)"),
    ] = None,
    platform: schemas.Platform | None = None,
    date_from: Annotated[datetime | None, Query(description="Conversion date, inclusive")] = None,
    date_to: Annotated[datetime | None, Query(description="Conversion date, exclusive")] = None,
    campaign: Annotated[
        str | None, Query(max_length=255, description="The lead's campaign")
    ] = None,
    conversion_name: Annotated[str | None, Query(max_length=100)] = None,
    lead_id: uuid.UUID | None = None,
) -> Page[schemas.Conversion]:
    """Conversions, newest first, with their status per platform."""
    rows, total = await records.list_conversions(
        session,
        params,
        filters=records.ConversionFilters(
            status=status_,
            platform=platform,
            date_from=date_from,
            date_to=date_to,
            campaign=campaign,
            conversion_name=conversion_name,
            lead_id=lead_id,
        ),
    )
    leads = await records.leads_of(session, rows)
    syncs = await records.syncs_of(session, [row.conversion_id for row in rows])
    items = [_conversion(row, leads.get(row.lead_id), syncs[row.conversion_id]) for row in rows]
    return Page.of(items, total, params)


@router.post(
    "",
    response_model=schemas.Conversion,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The lead already had a conversion of that name."}},
)
async def create_conversion(
    body: schemas.ConversionCreate, _: Write, session: CrmSession, response: Response
) -> schemas.Conversion:
    """Record a sale (a checkout, an import); idempotent per lead and conversion name."""
    created = await records.create_from_api(
        session,
        lead_id=body.lead_id,
        conversion_name=body.conversion_name,
        value=body.conversion_value,
        currency=body.conversion_currency,
        conversion_date=body.conversion_date,
        order_id=body.order_id,
    )
    if not created.created:
        response.status_code = status.HTTP_200_OK
    return await _one(session, created.conversion)


@router.get("/health", response_model=list[schemas.PlatformHealth])
async def platform_health(_: Read, session: CrmSession) -> list[schemas.PlatformHealth]:
    """Per platform: its state (not configured, healthy, degraded, failing) and why, last
    success, error rate over 24 hours, queue length, breaker state."""
    return [schemas.PlatformHealth.model_validate(h) for h in await health.platform_health(session)]


def _settings_out(row: Any) -> schemas.ConversionSettingsOut:
    return schemas.ConversionSettingsOut(
        won_conversion_name=row.won_conversion_name,
        windows=row.windows or {},
        actions=row.actions or {},
        effective_windows={**DEFAULT_WINDOWS, **(row.windows or {})},
    )


@router.get("/settings", response_model=schemas.ConversionSettingsOut)
async def get_settings(_: Read, session: CrmSession) -> schemas.ConversionSettingsOut:
    """The conversion a won lead creates, names per platform, attribution windows."""
    return _settings_out(await conversion_settings.current(session))


@router.put("/settings", response_model=schemas.ConversionSettingsOut)
async def put_settings(
    body: schemas.ConversionSettings, _: Admin, session: CrmSession
) -> schemas.ConversionSettingsOut:
    """Replace the conversion settings (applied to conversions created afterwards)."""
    row = await conversion_settings.update_settings(
        session,
        won_conversion_name=body.won_conversion_name,
        windows={str(platform): days for platform, days in body.windows.items()},
        actions={
            name: {
                platform: action.model_dump(exclude_none=True)
                for platform, action in platforms.items()
            }
            for name, platforms in body.actions.items()
        },
    )
    return _settings_out(row)


@router.get("/{conversion_id}", response_model=schemas.ConversionDetail, responses=NOT_FOUND)
async def get_conversion(
    conversion_id: uuid.UUID, _: Read, session: CrmSession
) -> schemas.ConversionDetail:
    """A conversion with every attempt of its sync log, oldest first."""
    conversion = await records.get_conversion(session, conversion_id)
    log = await records.sync_log(session, conversion_id)
    return schemas.ConversionDetail(
        conversion=await _one(session, conversion),
        sync_log=[schemas.SyncLogEntry.model_validate(entry) for entry in log],
    )


@router.post(
    "/{conversion_id}/retry",
    response_model=schemas.Conversion,
    responses={**NOT_FOUND, 409: {"description": "No failed delivery to retry."}},
)
async def retry_conversion(
    conversion_id: uuid.UUID, _: Write, session: CrmSession, body: schemas.RetryIn | None = None
) -> schemas.Conversion:
    """Retry now: failed deliveries (one platform's, or all) become pending."""
    conversion = await records.retry_conversion(
        session, conversion_id, platform=body.platform if body else None
    )
    return await _one(session, conversion)


@router.post(
    "/{conversion_id}/resend",
    response_model=schemas.Conversion,
    responses={**NOT_FOUND, 409: {"description": "The delivery was not sent."}},
)
async def resend_conversion(
    conversion_id: uuid.UUID, body: schemas.ResendIn, _: Write, session: CrmSession
) -> schemas.Conversion:
    """Send again a delivery already sent, with the same event id / order id (the
    platform deduplicates it); the confirmation is the caller's."""
    conversion = await records.resend_conversion(session, conversion_id, platform=body.platform)
    return await _one(session, conversion)


@router.post(
    "/{conversion_id}/refund",
    response_model=schemas.Conversion,
    responses={**NOT_FOUND, 409: {"description": "The order is not paid (already refunded)."}},
)
async def refund_conversion(
    conversion_id: uuid.UUID, body: schemas.RefundIn, _: Write, session: CrmSession
) -> schemas.Conversion:
    """Mark the sale refunded or charged back; order postbacks (UTMify) get the new status."""
    conversion = await orders.change_order_status(
        session, conversion_id, status=body.status, at=body.refunded_at
    )
    return await _one(session, conversion)
