"""Tables of the conversions module (seed 000 `offline_conversions` and
`platform_sync_log`), the per-platform delivery state of each conversion, the
organization's conversion settings and the circuit breakers of the platform accounts.

`offline_conversions.sync_status` is the seed's map `{platform: status}`; the detail of
each platform's delivery (reason, attempts, next attempt, sent at) lives in
`offline_conversion_syncs`, one row per conversion and platform, written in the same
transaction as the map. The sync jobs claim those rows, not the conversions, so two
platforms of one conversion are sent independently.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin
from rastro.core.ids import uuid7

# Seed 000's platforms. Only those with a connector (rastro.conversions.connectors) get a
# delivery state; the others are added when their connector is.
PLATFORMS = ("google", "meta", "linkedin", "tiktok")
SYNC_STATUSES = ("pending", "not_applicable", "expired", "sent", "failed")
# Attribution windows after the click, in days (seed 000).
DEFAULT_WINDOWS = {"google": 90, "meta": 28, "linkedin": 90, "tiktok": 28}
# platform_sync_log.sync_status: success | failed | retrying (a transient failure that
# will be tried again).
LOG_STATUSES = ("success", "failed", "retrying")
# offline_conversions.order_status: the sale is paid until it is refunded or charged back
# (POST /api/conversions/{id}/refund); the order postbacks (UTMify) report it.
ORDER_STATUSES = ("paid", "refunded", "chargedback")


def _org_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


class OfflineConversion(TenantMixin, CrmBase):
    """A closed sale to report to the ad platforms (seed 000 `offline_conversions`)."""

    __tablename__ = "offline_conversions"
    __table_args__ = (
        UniqueConstraint("lead_id", "conversion_name"),
        Index(
            "ix_offline_conversions_organization_id_conversion_date",
            "organization_id",
            "conversion_date",
        ),
    )

    conversion_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.lead_id", ondelete="CASCADE"))
    # The credited touch in the BI database (no cross-database foreign key).
    original_tracking_id: Mapped[uuid.UUID | None]
    gclid: Mapped[str | None] = mapped_column(String(255))
    gbraid: Mapped[str | None] = mapped_column(String(255))
    wbraid: Mapped[str | None] = mapped_column(String(255))
    fbclid: Mapped[str | None] = mapped_column(String(255))
    fbc: Mapped[str | None] = mapped_column(String(255))
    fbp: Mapped[str | None] = mapped_column(String(255))
    ttclid: Mapped[str | None] = mapped_column(String(255))
    li_fat_id: Mapped[str | None] = mapped_column(String(255))
    msclkid: Mapped[str | None] = mapped_column(String(255))
    # When the credited touch (the click) happened: attribution windows count from it.
    clicked_at: Mapped[datetime | None]
    conversion_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    conversion_currency: Mapped[str] = mapped_column(String(3))
    conversion_date: Mapped[datetime]
    conversion_name: Mapped[str] = mapped_column(String(100))
    # Stable for the platforms' deduplication: Google's orderId, Meta's event_id.
    order_id: Mapped[str] = mapped_column(String(255))
    # won (a lead reached the stage) | api (created through POST /api/conversions)
    origin: Mapped[str] = mapped_column(String(20))
    stage_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("lead_stages.stage_id", ondelete="SET NULL")
    )
    sync_status: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # paid | refunded | chargedback (ORDER_STATUSES), and when it stopped being paid.
    order_status: Mapped[str] = mapped_column(String(20), server_default="paid")
    refunded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class ConversionSync(TenantMixin, CrmBase):
    """The delivery of one conversion to one platform: its status and why."""

    __tablename__ = "offline_conversion_syncs"
    __table_args__ = (
        Index(
            "ix_offline_conversion_syncs_due",
            "platform",
            "next_attempt_at",
            postgresql_where=sql_text("status = 'pending'"),
        ),
        Index("ix_offline_conversion_syncs_organization_id_status", "organization_id", "status"),
    )

    conversion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("offline_conversions.conversion_id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    # The platform account (vault credential) the conversion goes to.
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    # The reason as a code and its parameters, which the dashboard translates.
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason_params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_batch_id: Mapped[uuid.UUID | None]
    # The click this platform gets (`conversions.service.clicks.PlatformClick.as_json`):
    # the newest of the platform's clicks in the person's journey, set at each send.
    click: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PlatformSyncLog(TenantMixin, CrmBase):
    """One attempt to send one conversion to one platform (seed 000 `platform_sync_log`),
    append-only. Personal data appears in `request_payload` only hashed."""

    __tablename__ = "platform_sync_log"
    __table_args__ = (
        Index("ix_platform_sync_log_conversion_id_synced_at", "conversion_id", "synced_at"),
        Index(
            "ix_platform_sync_log_organization_id_platform_synced_at",
            "organization_id",
            "platform",
            "synced_at",
        ),
    )

    sync_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    conversion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("offline_conversions.conversion_id", ondelete="CASCADE")
    )
    platform: Mapped[str] = mapped_column(String(20))
    # The request the conversion travelled in (one request carries up to the platform's
    # batch limit).
    batch_id: Mapped[uuid.UUID | None]
    attempt: Mapped[int] = mapped_column(Integer)
    sync_status: Mapped[str] = mapped_column(String(20))
    request_payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    response_data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    error_message: Mapped[str | None] = mapped_column(Text)
    http_status_code: Mapped[int | None] = mapped_column(Integer)
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ConversionSettings(TenantMixin, CrmBase):
    """Per organization: the conversion a won lead creates, the event or action name of
    each conversion on each platform, and the attribution windows."""

    __tablename__ = "conversion_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    won_conversion_name: Mapped[str] = mapped_column(String(100), server_default="purchase")
    # {platform: days}; platforms not given use DEFAULT_WINDOWS.
    windows: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # {conversion_name: {platform: {"event_name": ..., "action_id": ..., "window_days": ...,
    #  "action_source": ...}}}: what each conversion is called on each platform, and a
    # window for that conversion action that overrides the platform's.
    actions: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class CircuitBreaker(TenantMixin, CrmBase):
    """The circuit breaker of one platform account: closed (sending), open (paused after
    repeated transient failures, until `open_until`) or half_open (one trial batch)."""

    __tablename__ = "platform_circuit_breakers"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = _org_fk()
    state: Mapped[str] = mapped_column(String(10), server_default="closed")
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    opened_at: Mapped[datetime | None]
    open_until: Mapped[datetime | None]
    # When the platform last refused the account's credential (invalid or revoked token,
    # no permission): it must be reconnected. Cleared by the next accepted request.
    credential_rejected_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
