"""Request and response shapes of push destinations and the integrations log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

IntegrationName = Literal["hubspot", "salesforce", "pipedrive", "rdstation", "webhook"]
PushEvent = Literal["lead.created", "lead.stage_changed"]
PushStatus = Literal["pending", "success", "failed"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DestinationCreate(Schema):
    name: Name
    integration_name: IntegrationName
    credential_id: uuid.UUID = Field(
        description="A credential of this organization for the same service"
    )
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Per destination: webhook {url}; hubspot {lead_status, stage_lead_status, "
            "property_map}; salesforce {api_version, lead_source, status_map, "
            "external_id_field, default_company}; pipedrive {pipeline_id, stage_id, owner_id, "
            "stage_map, create_deal}; rdstation {conversion_identifier, funnel_name}"
        ),
    )
    events: list[PushEvent] = Field(default=["lead.created"], min_length=1)
    is_active: bool = True


class DestinationUpdate(Schema):
    name: Name | None = None
    credential_id: uuid.UUID | None = None
    settings: dict[str, Any] | None = None
    events: list[PushEvent] | None = Field(None, min_length=1)
    is_active: bool | None = None


class Destination(Schema):
    destination_id: uuid.UUID
    name: str
    integration_type: str
    integration_name: str
    credential_id: uuid.UUID | None
    settings: dict[str, Any]
    events: list[str]
    is_active: bool
    created_at: datetime


class DestinationTestResult(Schema):
    ok: bool
    http_status: int | None
    external_id: str | None
    error: str | None
    request: dict[str, Any] = Field(description="method, url (no secrets) and payload sent")
    response: dict[str, Any]


class IntegrationLog(Schema):
    log_id: uuid.UUID
    lead_id: uuid.UUID
    destination_id: uuid.UUID | None
    event: str
    integration_type: str
    integration_name: str
    status: str
    request_data: dict[str, Any]
    response_data: dict[str, Any]
    error_message: str | None
    http_status: int | None
    retry_count: int
    created_at: datetime
    processed_at: datetime | None
