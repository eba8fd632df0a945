"""The step visits of the funnels (BI): one row per session and step, written when the
collector stores a page view of a funnel's public page (`service.live`).

It is what the funnel analytics count: visitors per step in a date range come from the
index on (funnel, visit time), never from a scan of the page views. A row keeps the
session's source, medium, campaign and device as they were at the visit, so the
breakdowns need no join to the sessions.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import BiBase, TenantMixin


class FunnelStepVisit(TenantMixin, BiBase):
    """A session's first visit of a funnel step."""

    __tablename__ = "funnel_step_visits"
    __table_args__ = (
        Index("ix_funnel_step_visits_funnel_id_visited_at", "funnel_id", "visited_at"),
        Index("ix_funnel_step_visits_session_id", "session_id"),
    )

    step_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    funnel_id: Mapped[uuid.UUID]
    visitor_id: Mapped[str] = mapped_column(String(64))
    visited_at: Mapped[datetime]
    channel: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(255))
    medium: Mapped[str | None] = mapped_column(String(255))
    campaign: Mapped[str | None] = mapped_column(String(255))
    device: Mapped[str | None] = mapped_column(String(20))
