"""Request and response shapes of the integrations module: push destinations and the
integrations log; the inbound CRM webhooks and their admin endpoints (no ORM imports)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rastro.core.inputs import NotNull
from rastro.core.types import Name
from rastro.crm.schemas import Stage

IntegrationName = Literal["hubspot", "salesforce", "pipedrive", "rdstation", "webhook"]
PushEvent = Literal["lead.created", "lead.stage_changed"]
PushStatus = Literal["pending", "success", "failed"]


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
    name: Annotated[Name | None, NotNull] = None
    credential_id: uuid.UUID | None = None
    settings: Annotated[dict[str, Any] | None, NotNull] = None
    events: Annotated[list[PushEvent] | None, Field(min_length=1), NotNull] = None
    is_active: Annotated[bool | None, NotNull] = None


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


# --- inbound CRM webhooks ---------------------------------------------------------------------

Provider = Literal["hubspot", "pipedrive", "rdstation", "generic"]


class GenericEvent(BaseModel):
    """The body of `POST /api/webhooks/crm/generic/{token}`: one stage change of one record.

    The record is found by `lead_id`, else `record_id`/`external_id` (the lead's or its deal's
    external id), else `email` (compared hashed); `stage` is ours or a key of the
    organization's `generic` stage mapping.
    """

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=200)
    lead_id: uuid.UUID | None = None
    record_id: str | None = Field(default=None, min_length=1, max_length=255)
    external_id: str | None = Field(default=None, min_length=1, max_length=255)
    email: str | None = Field(default=None, min_length=3, max_length=320)
    stage: str = Field(min_length=1, max_length=255)
    value: Decimal | None = Field(default=None, ge=0, lt=Decimal("1e12"), decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    close_date: date | None = None
    sales_rep: str | None = Field(default=None, max_length=255)
    reason: str | None = Field(default=None, max_length=2000)
    deal_name: str | None = Field(default=None, max_length=255)

    @model_validator(mode="after")
    def _has_record(self) -> GenericEvent:
        if not (self.lead_id or self.record_id or self.external_id or self.email):
            raise ValueError("one of lead_id, record_id, external_id or email is required")
        return self


class DeliveryResult(BaseModel):
    """What happened to one event of a delivery."""

    event_id: str
    # applied | review | ignored | duplicate
    status: str
    reason: str | None = None
    delivery_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    stage: str | None = None


class WebhookReceipt(BaseModel):
    """The answer to a CRM webhook: one result per event it carried."""

    provider: str
    received: int
    results: list[DeliveryResult]


class ProviderEndpoint(BaseModel):
    provider: str
    # The URL to give the provider, with `{token}` where the (shown once) token goes.
    url_template: str
    credential_service: str
    credential_configured: bool
    verification: str


class WebhookConfig(BaseModel):
    """The organization's inbound webhook set-up (the token itself is never shown again)."""

    token_configured: bool
    token_hint: str | None
    token_rotated_at: datetime | None
    providers: list[ProviderEndpoint]


class IssuedWebhookToken(BaseModel):
    """A new URL token, shown once; the previous one no longer works."""

    token: str
    token_hint: str
    rotated_at: datetime
    urls: dict[str, str]


class IssuedGenericSecret(BaseModel):
    """A new HMAC secret for the generic webhook, shown once."""

    secret: str
    credential_id: uuid.UUID
    signature_header: str = "X-Rastro-Signature"
    timestamp_header: str = "X-Rastro-Timestamp"
    scheme: str = "sha256=<hex HMAC-SHA256(secret, timestamp + '.' + raw body)>"


class StageMappings(BaseModel):
    """Their stage ids/names -> our stages, per provider."""

    # The organization's own entries (what PUT replaces).
    mappings: dict[str, dict[str, Stage]]
    defaults: dict[str, dict[str, str]]
    # Defaults with the organization's entries laid over them (what is applied).
    effective: dict[str, dict[str, str]]


class StageMappingsUpdate(BaseModel):
    mappings: dict[str, dict[str, str]]


class WebhookDelivery(BaseModel):
    """One inbound event: applied, in review, ignored or dismissed."""

    model_config = ConfigDict(from_attributes=True)

    delivery_id: uuid.UUID
    provider: str
    external_event_id: str
    status: str
    reason: str | None
    record_id: str | None
    lead_id: uuid.UUID | None
    payload: dict[str, Any]
    received_at: datetime
    resolved_at: datetime | None


class ResolveDelivery(BaseModel):
    """Resolve a review item: apply its change to a lead, or dismiss it."""

    action: Literal["apply", "dismiss"]
    lead_id: uuid.UUID | None = None
    # Our stage, when the provider's stage had no mapping (or to override it).
    stage: Stage | None = None

    @model_validator(mode="after")
    def _lead_for_apply(self) -> ResolveDelivery:
        if self.action == "apply" and self.lead_id is None:
            raise ValueError("lead_id is required to apply a delivery")
        return self
