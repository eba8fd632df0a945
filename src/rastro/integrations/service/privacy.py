"""Anonymisation of the integrations' logs older than an organization's retention (issue
22): what was pushed to a CRM and what it answered (`integrations_log`, the lead's e-mail,
phone and name travel there in clear), and the inbound webhooks' payloads
(`crm_webhook_deliveries`, the CRM's contact as it sent it). Status, times, error
messages and the lead each row is about are kept. Idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope
from rastro.core.personal import seal_json
from rastro.integrations.models import IntegrationLog, WebhookDelivery


async def anonymise_before(
    session: AsyncSession, scope: Scope, *, cutoff: datetime
) -> dict[str, int]:
    """Purge the scope's integration payloads from before `cutoff` (flushed, not
    committed); returns how many rows each change touched. The payloads are stored
    encrypted: an empty document seals to a text of fixed length, so only longer ones
    (not purged yet) are rewritten."""
    assert scope.organization_id is not None, "anonymisation runs per organization"
    empty = len(seal_json({}, context="integrations"))
    log = IntegrationLog.__table__.c
    logs = await session.execute(
        update(IntegrationLog)
        .where(
            IntegrationLog.created_at < cutoff,
            or_(func.length(log.request_data) > empty, func.length(log.response_data) > empty),
        )
        .values(request_data={}, response_data={})
        .execution_options(synchronize_session=False)
    )
    delivery = WebhookDelivery.__table__.c
    deliveries = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.received_at < cutoff, func.length(delivery.payload) > empty)
        .values(payload={})
        .execution_options(synchronize_session=False)
    )
    return {
        "integration_payloads": int(getattr(logs, "rowcount", 0) or 0),
        "webhook_payloads": int(getattr(deliveries, "rowcount", 0) or 0),
    }
