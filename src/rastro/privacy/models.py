"""The privacy module's tables: the access audit log (append-only: the application role
may not UPDATE or DELETE it, and a trigger refuses it anyway, migration 0036) and the
data-subject requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin
from rastro.core.ids import uuid7
from rastro.core.personal import encrypted_optional_json, encrypted_text


class AuditEntry(TenantMixin, CrmBase):
    """Who read, exported or changed what, when and from where."""

    __tablename__ = "privacy_audit_log"
    __table_args__ = (
        Index("ix_privacy_audit_log_organization_id_occurred_at", "organization_id", "occurred_at"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    # No foreign key: a cascade from the organization would be a DELETE, which the log
    # refuses; the record of who saw what outlives the organization's other rows.
    organization_id: Mapped[uuid.UUID] = mapped_column()
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor_kind: Mapped[str] = mapped_column(String(10))  # user | api_key
    actor_id: Mapped[uuid.UUID]
    action: Mapped[str] = mapped_column(String(10))  # read | list | export | admin | delete
    entity_type: Mapped[str] = mapped_column(String(200))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(7))
    path: Mapped[str] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(INET)
    # Reduced to browser / OS / device ("Chrome / Windows / desktop"), never the full string.
    user_agent: Mapped[str | None] = mapped_column(String(120))


class SubjectRequest(TenantMixin, CrmBase):
    """A person's request to see (export) or erase their data, and its proof."""

    __tablename__ = "privacy_subject_requests"
    __table_args__ = (
        Index(
            "ix_privacy_subject_requests_organization_id_received_at",
            "organization_id",
            "received_at",
        ),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(10))  # export | erase
    status: Mapped[str] = mapped_column(String(12), server_default="received")
    # The identifiers as given, normalized, stored encrypted and kept only while the
    # request is open; masked (`j***@example.com`) once it is done or rejected. Their blind
    # indexes stay while an export's document is kept (an erasure of the same person
    # drops it), and go with it.
    subject_email: Mapped[str | None] = encrypted_text("privacy_subject_requests", "subject_email")
    subject_email_index: Mapped[str | None] = mapped_column(String(32))
    subject_phone: Mapped[str | None] = encrypted_text("privacy_subject_requests", "subject_phone")
    subject_phone_index: Mapped[str | None] = mapped_column(String(32))
    email_mask: Mapped[str | None] = mapped_column(String(320))
    phone_mask: Mapped[str | None] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    due_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    requested_by: Mapped[uuid.UUID | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    # What was found and erased per store (counts), and the forwarding results.
    proof: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # The export's JSON (an export request's answer), for download.
    # (the person's data: encrypted).
    export_data: Mapped[dict[str, Any] | None] = encrypted_optional_json(
        "privacy_subject_requests", "export_data"
    )
