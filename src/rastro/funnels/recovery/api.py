"""Routes of the recovery: a funnel's recovery settings, the recovery report, the cases
with their WhatsApp links, and marking a WhatsApp message sent."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute
from rastro.funnels.recovery import schemas
from rastro.funnels.recovery.permissions import Read, Write
from rastro.funnels.recovery.service import cases, report, settings
from rastro.funnels.recovery.service.actions import LinkSigner, link_signer

_Responses = dict[int | str, dict[str, Any]]
_NO_FUNNEL: _Responses = {404: {"description": "No such funnel in this organization"}}

router = APIRouter(route_class=TransactionalRoute, responses=ERROR_RESPONSES, tags=["recovery"])


def _signer(request: Request) -> LinkSigner:
    return link_signer(request.app.state.settings)


@router.get(
    "/api/funnels/{funnel_id}/recovery/settings",
    response_model=schemas.RecoverySettings,
    responses=_NO_FUNNEL,
)
async def get_recovery_settings(
    funnel_id: uuid.UUID, _: Read, session: CrmSession
) -> schemas.RecoverySettings:
    """The funnel's recovery settings (the defaults while none are saved)."""
    return await settings.get_settings(session, funnel_id)


@router.put(
    "/api/funnels/{funnel_id}/recovery/settings",
    response_model=schemas.RecoverySettings,
    responses={
        **_NO_FUNNEL,
        422: {"description": "A value out of range, or an unknown or non-webhook credential"},
    },
)
async def put_recovery_settings(
    funnel_id: uuid.UUID, body: schemas.RecoverySettingsIn, _: Write, session: CrmSession
) -> schemas.RecoverySettings:
    """Write the funnel's recovery settings whole."""
    return await settings.put_settings(session, funnel_id, body=body)


@router.get(
    "/api/recovery/report",
    response_model=schemas.RecoveryReport,
    responses={
        **_NO_FUNNEL,
        422: {"description": "`invalid_period`: reversed or over 366 days, or unknown zone"},
    },
)
async def get_recovery_report(
    _: Read,
    session: CrmSession,
    date_from: date,
    date_to: date,
    funnel_id: uuid.UUID | None = None,
    timezone: Annotated[str, Query(min_length=1, max_length=64)] = "America/Sao_Paulo",
) -> schemas.RecoveryReport:
    """Abandoned checkouts, unpaid charges, actions sent, recovered sales and revenue, in
    total, by campaign and by day."""
    return await report.recovery_report(
        session, date_from=date_from, date_to=date_to, timezone=timezone, funnel_id=funnel_id
    )


@router.get("/api/recovery/cases", response_model=schemas.RecoveryCasePage, responses=_NO_FUNNEL)
async def list_recovery_cases(
    request: Request,
    _: Read,
    session: CrmSession,
    params: Pagination,
    funnel_id: uuid.UUID | None = None,
    recovered: bool | None = None,
) -> schemas.RecoveryCasePage:
    """The abandoned checkouts and unpaid charges, newest first, with WhatsApp links."""
    return await cases.list_cases(
        session, params, signer=_signer(request), funnel_id=funnel_id, recovered=recovered
    )


@router.post(
    "/api/recovery/cases/{case_id}/whatsapp",
    response_model=schemas.RecoveryActionOut,
    responses={404: {"description": "No such case, or the buyer left no phone"}},
)
async def mark_whatsapp_sent(
    case_id: uuid.UUID, _: Write, session: CrmSession
) -> schemas.RecoveryActionOut:
    """Record that the sales team opened the case's WhatsApp message."""
    return await cases.mark_whatsapp_sent(session, case_id)
