"""Anonymisation of the conversion sync log older than an organization's retention (issue
22). `platform_sync_log.request_payload` keeps personal data only hashed (the connectors'
`loggable`), which is what a data-subject lookup needs; the platforms' answers
(`response_data`) may echo what they matched and are purged. Status, times, HTTP status
and the error message stay: the delivery history remains readable. Idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope

_RESPONSES = text(
    "UPDATE platform_sync_log SET response_data = '{}' "
    "WHERE synced_at < :cutoff AND response_data <> '{}'"
)


async def anonymise_before(
    session: AsyncSession, scope: Scope, *, cutoff: datetime
) -> dict[str, int]:
    """Purge the platforms' answers logged before `cutoff` (flushed, not committed);
    returns how many log rows changed."""
    assert scope.organization_id is not None, "anonymisation runs per organization"
    result = await session.execute(_RESPONSES, {"cutoff": cutoff})
    return {"sync_responses": int(getattr(result, "rowcount", 0) or 0)}
