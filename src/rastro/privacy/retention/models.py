"""Retention's tables (CRM): each organization's setting and the anonymisation runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin
from rastro.core.ids import uuid7

DEFAULT_MONTHS = 6
MIN_MONTHS, MAX_MONTHS = 1, 60


class RetentionSetting(TenantMixin, CrmBase):
    """How many months personal data is kept in clear before it is anonymised."""

    __tablename__ = "privacy_retention_settings"
    __table_args__ = (
        CheckConstraint(
            f"retention_months BETWEEN {MIN_MONTHS} AND {MAX_MONTHS}", name="retention_months"
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    retention_months: Mapped[int] = mapped_column(Integer, server_default=str(DEFAULT_MONTHS))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class AnonymisationRun(TenantMixin, CrmBase):
    """One anonymisation of an organization: the cutoff it used and what each module
    changed (`{"tracking": {"client_ips": 120, ...}, ...}`), append-only."""

    __tablename__ = "privacy_anonymisation_runs"
    __table_args__ = (
        Index(
            "ix_privacy_anonymisation_runs_organization_id_started_at",
            "organization_id",
            "started_at",
        ),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    retention_months: Mapped[int] = mapped_column(Integer)
    cutoff: Mapped[datetime]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    # done | failed (a failed module's error class in `changes[module]["error"]`)
    status: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
