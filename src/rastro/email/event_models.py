"""The e-mail module's BI tables: the immutable log of what happened to each message
(`email_message_events`, seed 004 Eventos: history, never updated) and the daily
aggregates per campaign that reports read (`email_campaign_daily`, recomputed from the
events by `service/aggregates.py`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Index, Integer, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import BiBase, TenantMixin
from rastro.core.ids import uuid7

EVENT_TYPES = (
    "sent",
    "delivered",
    "open",
    "click",
    "bounce",
    "complaint",
    "unsubscribe",
    "refused",
)


class MessageEvent(TenantMixin, BiBase):
    """Something that happened to one message, for one contact, at one moment. A provider
    event's id (`source`, `external_id`) is stored once: replayed webhooks add nothing."""

    __tablename__ = "email_message_events"
    __table_args__ = (
        Index(
            "uq_email_message_events_external",
            "organization_id",
            "source",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
        Index("ix_email_message_events_campaign", "organization_id", "campaign_id", "occurred_at"),
        Index("ix_email_message_events_message_id", "message_id"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    # CRM rows: no cross-database keys.
    campaign_id: Mapped[uuid.UUID]
    message_id: Mapped[uuid.UUID]
    contact_id: Mapped[uuid.UUID]
    link_id: Mapped[int | None] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(12))
    # bounce: hard | soft; open: machine reason; click: none.
    subtype: Mapped[str | None] = mapped_column(String(20))
    is_machine: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    source: Mapped[str] = mapped_column(String(20))  # tracker | smtp | simulated | ses | postmark
    external_id: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # When it was written (a provider may report an event late): what recounts follow.
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CampaignDaily(TenantMixin, BiBase):
    """One campaign's figures for one day (UTC), recounted from its events."""

    __tablename__ = "email_campaign_daily"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent: Mapped[int] = mapped_column(Integer, server_default="0")
    delivered: Mapped[int] = mapped_column(Integer, server_default="0")
    opens: Mapped[int] = mapped_column(Integer, server_default="0")
    human_opens: Mapped[int] = mapped_column(Integer, server_default="0")
    unique_opens: Mapped[int] = mapped_column(Integer, server_default="0")
    clicks: Mapped[int] = mapped_column(Integer, server_default="0")
    unique_clicks: Mapped[int] = mapped_column(Integer, server_default="0")
    hard_bounces: Mapped[int] = mapped_column(Integer, server_default="0")
    soft_bounces: Mapped[int] = mapped_column(Integer, server_default="0")
    complaints: Mapped[int] = mapped_column(Integer, server_default="0")
    unsubscribes: Mapped[int] = mapped_column(Integer, server_default="0")
    refused: Mapped[int] = mapped_column(Integer, server_default="0")
    refreshed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CampaignLinkClicks(TenantMixin, BiBase):
    """One link's clicks in one campaign (all of them, and by distinct message), recounted
    from the events with the daily figures: the report's CTA ranking reads this, never
    the raw events."""

    __tablename__ = "email_campaign_link_clicks"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clicks: Mapped[int] = mapped_column(Integer, server_default="0")
    unique_clicks: Mapped[int] = mapped_column(Integer, server_default="0")
    refreshed_at: Mapped[datetime] = mapped_column(server_default=func.now())
