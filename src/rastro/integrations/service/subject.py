"""A data subject in the integrations (the privacy module's export and erasure): the pushes
of their leads to CRMs and webhooks (`integrations_log`) and the inbound CRM webhooks that
named them. Erasure keeps the rows (status, dates) and drops the payloads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import orjson
from sqlalchemy import ColumnElement, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.subjects import ErasedCounts, SubjectRows, rows_where
from rastro.integrations.models import IntegrationLog, WebhookDelivery


async def _deliveries(
    session: AsyncSession, *, email: str | None, lead_ids: Sequence[uuid.UUID]
) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if lead_ids:
        conditions.append(WebhookDelivery.lead_id.in_(lead_ids))
    if email:
        # A delivery in review names a person no lead links to yet. Its payload is
        # encrypted at rest, so the unlinked ones are opened here and searched (requests
        # are rare; deliveries without a lead are few).
        needle = email.lower()
        unlinked = await session.execute(
            select(WebhookDelivery.delivery_id, WebhookDelivery.payload).where(
                WebhookDelivery.lead_id.is_(None)
            )
        )
        named = [
            delivery_id
            for delivery_id, payload in unlinked
            if needle in orjson.dumps(payload).decode().lower()
        ]
        if named:
            conditions.append(WebhookDelivery.delivery_id.in_(named))
    return or_(*conditions) if conditions else false()


async def subject_data(
    session: AsyncSession, *, email: str | None, lead_ids: Sequence[uuid.UUID]
) -> SubjectRows:
    """The person's pushes and inbound webhook deliveries."""
    return {
        "integrations_log": await rows_where(
            session, IntegrationLog.__table__, IntegrationLog.lead_id.in_(lead_ids)
        ),
        "crm_webhook_deliveries": await rows_where(
            session,
            WebhookDelivery.__table__,
            await _deliveries(session, email=email, lead_ids=lead_ids),
        ),
    }


async def erase_subject(
    session: AsyncSession, *, email: str | None, lead_ids: Sequence[uuid.UUID]
) -> ErasedCounts:
    """Drop the payloads of the person's pushes and webhook deliveries."""
    pushes = await session.execute(
        update(IntegrationLog)
        .where(IntegrationLog.lead_id.in_(lead_ids))
        .values(request_data={}, response_data={}, error_message=None)
    )
    deliveries = await session.execute(
        update(WebhookDelivery)
        .where(await _deliveries(session, email=email, lead_ids=lead_ids))
        .values(payload={}, reason=None)
    )
    return {
        "integrations_log": int(getattr(pushes, "rowcount", 0) or 0),
        "crm_webhook_deliveries": int(getattr(deliveries, "rowcount", 0) or 0),
    }
