"""Tracking health and alerts (issue 18 part 6), BI database: each ad's destination URL
as its platform stores it with the tracking parameters it lacks (`ad_url_checks`), the
organization's alert rules (`alert_rules`), every firing of a rule with the figures that
triggered it (`alert_events`, one open firing per rule and subject at a time) and the
deliveries of the firings by webhook and e-mail (`alert_deliveries`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import BiBase, TenantMixin


class AdUrlCheck(TenantMixin, BiBase):
    """One ad's destination (landing URL, the parameters the platform appends, Google's
    tracking template and auto-tagging) and the tracking parameters missing from it."""

    __tablename__ = "ad_url_checks"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ad_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    landing_url: Mapped[str | None] = mapped_column(Text)
    url_suffix: Mapped[str | None] = mapped_column(Text)
    tracking_template: Mapped[str | None] = mapped_column(Text)
    # Google's account auto-tagging (gclid); NULL where the platform has no such switch.
    auto_tagging: Mapped[bool | None]
    parameters: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    missing: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    status: Mapped[str] = mapped_column(String(10))  # ok | warning | error | no_url
    checked_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AlertRule(TenantMixin, BiBase):
    """ "Metric comparator threshold for `window_days` days" over the organization's
    totals, one campaign, or each campaign apart; delivered in the dashboard and, with a
    vault `webhook` credential, by a signed webhook."""

    __tablename__ = "alert_rules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(40))
    comparator: Mapped[str] = mapped_column(String(10))  # below | above
    threshold: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    window_days: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(20))  # all | campaign | each_campaign
    platform: Mapped[str | None] = mapped_column(String(20))
    account_id: Mapped[str | None] = mapped_column(String(64))
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    daily_budget: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    webhook_credential_id: Mapped[uuid.UUID | None]  # a CRM row: no cross-database key
    # Members (CRM users) e-mailed at each firing's opening and resolution.
    email_recipients: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), server_default=text("'{}'::uuid[]")
    )
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AlertEvent(TenantMixin, BiBase):
    """One firing of a rule for one subject ('' = the organization's totals, else
    `platform:account:campaign`): opened with the days that breached, resolved with the
    day that did not. At most one open firing per rule and subject."""

    __tablename__ = "alert_events"
    __table_args__ = (
        Index(
            "uq_alert_events_open",
            "organization_id",
            "rule_id",
            "subject_key",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_alert_events_organization_id_opened_at", "organization_id", "opened_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    rule_id: Mapped[uuid.UUID]
    subject_key: Mapped[str] = mapped_column(Text)
    subject: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10))  # open | resolved
    figures: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    resolved_figures: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    opened_at: Mapped[datetime] = mapped_column(server_default=func.now())
    resolved_at: Mapped[datetime | None]
    last_evaluated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AlertDelivery(TenantMixin, BiBase):
    """The delivery of one transition (opened, resolved) of a firing by one channel (the
    signed webhook, or the e-mail to the rule's recipients): retried through the job queue
    until it succeeds, fails for good or runs out of attempts."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("organization_id", "event_id", "transition", "channel"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event_id: Mapped[uuid.UUID]
    rule_id: Mapped[uuid.UUID]
    transition: Mapped[str] = mapped_column(String(10))  # opened | resolved
    channel: Mapped[str] = mapped_column(String(10), server_default="webhook")  # | email
    credential_id: Mapped[uuid.UUID | None]  # the webhook's (channel webhook)
    status: Mapped[str] = mapped_column(String(10))  # pending | success | failed
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
