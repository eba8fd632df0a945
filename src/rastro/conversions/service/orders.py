"""A conversion's order status: a sale is paid until it is refunded or charged back.

The change is kept on the conversion (`order_status`, `refunded_at`) and the deliveries
of the platforms that report order status (UTMify) become pending again, in the same
transaction as a sync job, so that the platform gets the new status of the same order.
Ad platforms keep the sale as sent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.conversions.connectors import CONNECTORS
from rastro.conversions.models import ConversionSync, OfflineConversion
from rastro.conversions.service import records
from rastro.core.errors import Conflict, NotFound, field_error

# Deliveries that a status change sends again; `not_applicable` ones stay (no account or
# nothing to send).
_REQUEUED_FROM = ("pending", "sent", "failed", "expired")


async def change_order_status(
    session: AsyncSession,
    conversion_id: uuid.UUID,
    *,
    status: str,
    at: datetime | None = None,
) -> OfflineConversion:
    """Mark a paid conversion refunded or charged back, and queue the order postbacks."""
    conversion: OfflineConversion | None = await session.scalar(
        select(OfflineConversion)
        .where(OfflineConversion.conversion_id == conversion_id)
        .with_for_update()
    )
    if conversion is None:
        raise NotFound("Conversion not found.")
    if conversion.order_status != "paid":
        raise Conflict(
            f"The order is already {conversion.order_status}.",
            details={"order_status": conversion.order_status},
        )
    now = datetime.now(UTC)
    when = at or now
    if when > now + timedelta(minutes=5):
        raise field_error("refunded_at", "The refund date is in the future.")
    if when < conversion.conversion_date:
        raise field_error("refunded_at", "The refund date is before the sale.")
    conversion.order_status = status
    conversion.refunded_at = when
    platforms = [p for p, connector in CONNECTORS.items() if connector.reports_order_status]
    syncs = list(
        await session.scalars(
            select(ConversionSync)
            .where(
                ConversionSync.conversion_id == conversion_id,
                ConversionSync.platform.in_(platforms),
                ConversionSync.status.in_(_REQUEUED_FROM),
            )
            .with_for_update()
        )
    )
    statuses = dict(conversion.sync_status)
    for sync in syncs:
        sync.status = "pending"
        sync.reason = None
        sync.attempts = 0
        sync.next_attempt_at = now
        statuses[sync.platform] = "pending"
    conversion.sync_status = statuses
    await session.flush()
    if syncs:
        await records.queue_sync(session, conversion.organization_id)
    return conversion
