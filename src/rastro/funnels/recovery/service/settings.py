"""A funnel's recovery settings: read (the defaults while none are saved) and written
whole. The webhook credential must be the organization's vault credential of service
`webhook` (its URL receives the webhook, its secret signs it)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.errors import NotFound, field_error
from rastro.core.references import UnknownReference
from rastro.funnels.builder.service import funnels
from rastro.funnels.recovery import schemas
from rastro.funnels.recovery.models import RecoverySettings

DEFAULTS = schemas.RecoverySettingsIn()


async def find_settings(session: AsyncSession, funnel_id: uuid.UUID) -> RecoverySettings | None:
    found: RecoverySettings | None = await session.scalar(
        select(RecoverySettings).where(RecoverySettings.funnel_id == funnel_id)
    )
    return found


def _out(funnel_id: uuid.UUID, row: RecoverySettings | None) -> schemas.RecoverySettings:
    if row is None:
        return schemas.RecoverySettings(
            **DEFAULTS.model_dump(), funnel_id=funnel_id, is_default=True
        )
    fields = {name: getattr(row, name) for name in schemas.RecoverySettingsIn.model_fields}
    return schemas.RecoverySettings(**fields, funnel_id=funnel_id, is_default=False)


async def effective_settings(
    session: AsyncSession, funnel_id: uuid.UUID | None
) -> schemas.RecoverySettings | None:
    """The funnel's settings or the defaults (None without a funnel)."""
    if funnel_id is None:
        return None
    return _out(funnel_id, await find_settings(session, funnel_id))


async def get_settings(session: AsyncSession, funnel_id: uuid.UUID) -> schemas.RecoverySettings:
    """The funnel's recovery settings (404 for another organization's funnel)."""
    await funnels.get_funnel_row(session, funnel_id)
    return _out(funnel_id, await find_settings(session, funnel_id))


async def _check_webhook_credential(session: AsyncSession, credential_id: uuid.UUID) -> None:
    try:
        credential = await credentials.get_credential(session, credential_id)
    except NotFound:
        raise UnknownReference(field="webhook_credential_id", key=credential_id) from None
    if credential.service != "webhook":
        raise field_error("webhook_credential_id", "This credential is not a webhook's.")


async def put_settings(
    session: AsyncSession, funnel_id: uuid.UUID, *, body: schemas.RecoverySettingsIn
) -> schemas.RecoverySettings:
    """Write the funnel's recovery settings whole (404 unknown funnel, 422 bad credential)."""
    await funnels.get_funnel_row(session, funnel_id)
    if body.webhook_credential_id is not None:
        await _check_webhook_credential(session, body.webhook_credential_id)
    row = await find_settings(session, funnel_id)
    if row is None:
        row = RecoverySettings(funnel_id=funnel_id)
        session.add(row)
    for name, value in body.model_dump().items():
        setattr(row, name, value)
    await session.flush()
    return _out(funnel_id, row)
