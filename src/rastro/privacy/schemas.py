"""What the privacy module's API takes and returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

AuditAction = Literal["read", "list", "export", "admin", "delete"]
RequestKind = Literal["export", "erase"]
RequestStatus = Literal["received", "in_progress", "done", "rejected"]


class AuditFilters(BaseModel):
    actor_id: uuid.UUID | None = None
    action: AuditAction | None = None
    entity_type: Annotated[str, StringConstraints(max_length=200)] | None = None
    entity_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditEntryOut(BaseModel):
    entry_id: uuid.UUID
    occurred_at: datetime
    actor_kind: str
    actor_id: uuid.UUID
    actor_name: str | None
    action: str
    entity_type: str
    entity_id: str | None
    method: str
    path: str
    ip: str | None
    user_agent: str | None


class SubjectRequestCreate(BaseModel):
    """A person's request: at least one of e-mail and phone identifies them."""

    kind: RequestKind
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> SubjectRequestCreate:
        if not self.email and not self.phone:
            raise ValueError("Give the person's e-mail, phone or both.")
        return self


class SubjectRequestReject(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ForwardResult(BaseModel):
    """One platform's answer to a forwarded deletion."""

    platform: str
    destination: str | None = None
    status: Literal["deleted", "not_found", "failed", "unsupported"]
    detail: str | None = None


class SubjectProof(BaseModel):
    """What a finished request found and did, per store, with when."""

    found: dict[str, int] = Field(default_factory=dict)
    erased: dict[str, int] = Field(default_factory=dict)
    forwarded: list[ForwardResult] = Field(default_factory=list)
    searched_at: datetime | None = None
    erased_at: datetime | None = None


class SubjectRequestOut(BaseModel):
    request_id: uuid.UUID
    kind: RequestKind
    status: RequestStatus
    email: str | None  # masked once the request is closed
    phone: str | None
    received_at: datetime
    due_at: datetime
    days_left: int
    started_at: datetime | None
    finished_at: datetime | None
    rejection_reason: str | None
    proof: SubjectProof
    has_export: bool


SubjectExport = dict[str, Any]
