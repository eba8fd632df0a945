"""Bodies of the funnel monitor's API (`GET /api/funnels/{id}/monitor`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from rastro.funnels.payments.schemas import PaymentSummary


class MonitorStep(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    step_type: str
    order_index: int
    online: int = Field(description="Visitors on the step now (active in the last 30 minutes)")


class MonitorVisitor(BaseModel):
    session_id: str
    visitor_id: str
    step_id: uuid.UUID | None
    started_at: datetime
    last_activity_at: datetime
    channel: str | None
    source: str | None
    medium: str | None
    campaign: str | None
    device: str | None


class MonitorToday(BaseModel):
    """The funnel's payments created since midnight in the organization's timezone that
    are paid now (in the organization's currency)."""

    paid: int
    revenue: Decimal
    currency: str
    timezone: str


class FunnelMonitor(BaseModel):
    """What the monitor page shows, read again after every (re)connection."""

    funnel_id: uuid.UUID
    name: str
    steps: list[MonitorStep]
    online: int
    visitors: list[MonitorVisitor] = Field(description="Online visitors, most recent first")
    payments: list[PaymentSummary] = Field(description="The latest payments, newest first")
    today: MonitorToday
    as_of: datetime
