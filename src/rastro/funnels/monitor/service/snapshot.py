"""The monitor's snapshot: the funnel's steps with the visitors on each now, the online
visitors, the latest payments and today's revenue (what a client reads on (re)connection
before following the live events)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import accounts
from rastro.funnels.builder.service import funnels
from rastro.funnels.monitor import schemas
from rastro.funnels.payments.service import reads as payment_reads
from rastro.tracking.service import funnel_steps

RECENT_PAYMENTS = 30
ONLINE_LIMIT = 500


async def funnel_monitor(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    organization_id: uuid.UUID,
    funnel_id: uuid.UUID,
    now: datetime | None = None,
) -> schemas.FunnelMonitor:
    """The funnel's monitor now (404 for a funnel that is not the organization's)."""
    now = now or datetime.now(UTC)
    funnel = await funnels.get_funnel(crm, funnel_id)
    organization = await accounts.get_organization(crm, organization_id)
    zone = ZoneInfo(organization.timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone)
    visitors = await funnel_steps.funnel_visitors(
        bi, funnel_id=funnel.id, limit=ONLINE_LIMIT, now=now
    )
    on_step = Counter(v.step_id for v in visitors)
    paid = await payment_reads.funnel_payments(crm, funnel_id=funnel.id, start=midnight, end=now)
    sold = [p for p in paid if p.status == "paid" and p.currency == organization.currency]
    return schemas.FunnelMonitor(
        funnel_id=funnel.id,
        name=funnel.name,
        steps=[
            schemas.MonitorStep(
                id=step.id,
                name=step.name,
                slug=step.slug,
                step_type=step.step_type,
                order_index=step.order_index,
                online=on_step.get(step.id, 0),
            )
            for step in funnel.steps
        ],
        online=len(visitors),
        visitors=[
            schemas.MonitorVisitor(
                session_id=v.session_id,
                visitor_id=v.visitor_id,
                step_id=v.step_id,
                started_at=v.started_at,
                last_activity_at=v.last_activity_at,
                channel=v.channel,
                source=v.source,
                medium=v.medium,
                campaign=v.campaign,
                device=v.device,
            )
            for v in visitors
        ],
        payments=await payment_reads.recent_payments(
            crm, funnel_id=funnel.id, limit=RECENT_PAYMENTS
        ),
        today=schemas.MonitorToday(
            paid=len(sold),
            revenue=sum((p.amount for p in sold), Decimal("0")),
            currency=organization.currency,
            timezone=organization.timezone,
        ),
        as_of=now,
    )
