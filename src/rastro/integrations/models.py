"""Tables of the integrations module: push destinations (seed 000 integrations), the push
attempts (seed 000 `integrations_log`) and the inbound CRM webhook deliveries.

Attempts and deliveries are append-only history. The table names are those of the CRM
module they were carved out of; the leads they refer to stay the CRM's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin
from rastro.core.ids import uuid7
from rastro.core.personal import encrypted_json


def _org_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


class Destination(TenantMixin, CrmBase):
    """Where new leads (and optionally stage changes) are pushed: a CRM or a webhook."""

    __tablename__ = "crm_destinations"

    destination_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(String(255))
    # crm | webhook (seed 000 integration_type) and hubspot | salesforce | pipedrive |
    # rdstation | webhook (integration_name).
    integration_type: Mapped[str] = mapped_column(String(20))
    integration_name: Mapped[str] = mapped_column(String(40))
    # The vault credential holding the token/secret (core credentials of the auth module).
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL")
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # lead.created, lead.stage_changed
    events: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{lead.created}")
    is_active: Mapped[bool] = mapped_column(server_default="true")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class IntegrationLog(TenantMixin, CrmBase):
    """One push of a lead to a destination (seed 000 `integrations_log`)."""

    __tablename__ = "integrations_log"
    __table_args__ = (
        Index("ix_integrations_log_lead_id_created_at", "lead_id", "created_at"),
        Index("ix_integrations_log_organization_id_status", "organization_id", "status"),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.lead_id", ondelete="CASCADE"))
    destination_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("crm_destinations.destination_id", ondelete="SET NULL")
    )
    event: Mapped[str] = mapped_column(String(40), server_default="lead.created")
    integration_type: Mapped[str] = mapped_column(String(20))
    integration_name: Mapped[str] = mapped_column(String(40))
    # pending | success | failed
    status: Mapped[str] = mapped_column(String(20), server_default="pending")
    # What was sent (the lead's data) and answered: stored encrypted (rastro.core.personal).
    request_data: Mapped[dict[str, Any]] = encrypted_json("integrations_log", "request_data")
    response_data: Mapped[dict[str, Any]] = encrypted_json("integrations_log", "response_data")
    error_message: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    retry_count: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    processed_at: Mapped[datetime | None]


class WebhookDelivery(TenantMixin, CrmBase):
    """An inbound CRM webhook event: applied once, or kept for review when unmatched."""

    __tablename__ = "crm_webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("organization_id", "provider", "external_event_id"),
        Index("ix_crm_webhook_deliveries_organization_id_status", "organization_id", "status"),
    )

    delivery_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    provider: Mapped[str] = mapped_column(String(40))
    external_event_id: Mapped[str] = mapped_column(String(255))
    # applied | review | ignored | dismissed
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    record_id: Mapped[str | None] = mapped_column(String(255))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.lead_id", ondelete="SET NULL")
    )
    # The event as received (the CRM's record, its e-mail): stored encrypted.
    payload: Mapped[dict[str, Any]] = encrypted_json("crm_webhook_deliveries", "payload")
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    resolved_at: Mapped[datetime | None]
