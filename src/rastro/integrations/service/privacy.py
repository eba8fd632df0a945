"""Anonymisation of the integrations' logs older than an organization's retention (issue
22): what was pushed to a CRM and what it answered (`integrations_log`, the lead's e-mail,
phone and name travel there in clear), and the inbound webhooks' payloads
(`crm_webhook_deliveries`, the CRM's contact as it sent it). Status, times, error
messages and the lead each row is about are kept. Idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope

_LOGS = text(
    "UPDATE integrations_log SET request_data = '{}', response_data = '{}' "
    "WHERE created_at < :cutoff AND (request_data <> '{}' OR response_data <> '{}')"
)
_DELIVERIES = text(
    "UPDATE crm_webhook_deliveries SET payload = '{}' "
    "WHERE received_at < :cutoff AND payload <> '{}'"
)


async def anonymise_before(
    session: AsyncSession, scope: Scope, *, cutoff: datetime
) -> dict[str, int]:
    """Purge the scope's integration payloads from before `cutoff` (flushed, not
    committed); returns how many rows each change touched."""
    assert scope.organization_id is not None, "anonymisation runs per organization"
    logs = await session.execute(_LOGS, {"cutoff": cutoff})
    deliveries = await session.execute(_DELIVERIES, {"cutoff": cutoff})
    return {
        "integration_payloads": int(getattr(logs, "rowcount", 0) or 0),
        "webhook_payloads": int(getattr(deliveries, "rowcount", 0) or 0),
    }
