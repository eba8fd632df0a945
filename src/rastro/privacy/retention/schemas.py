"""Retention's request and response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from rastro.privacy.retention.models import DEFAULT_MONTHS, MAX_MONTHS, MIN_MONTHS


class RetentionUpdate(BaseModel):
    retention_months: int = Field(
        ge=MIN_MONTHS, le=MAX_MONTHS, description="Months personal data is kept in clear"
    )


class AnonymisationRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    run_id: uuid.UUID
    retention_months: int
    cutoff: datetime = Field(description="Rows created before this moment were anonymised")
    started_at: datetime
    finished_at: datetime
    status: str = Field(description="done | failed")
    changes: dict[str, dict[str, int | str]] = Field(
        description="Per module, how many rows each change touched (e.g. tracking.client_ips)"
    )


class Retention(BaseModel):
    retention_months: int = Field(DEFAULT_MONTHS, description="Default 6 months")
    min_months: int = MIN_MONTHS
    max_months: int = MAX_MONTHS
    last_run: AnonymisationRunOut | None = Field(
        None, description="The latest anonymisation of the organization (None: none yet)"
    )
