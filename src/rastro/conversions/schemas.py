"""Request and response bodies of `/api/conversions`."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

Platform = Literal["google", "meta", "linkedin", "tiktok", "utmify"]
SyncStatus = Literal["pending", "not_applicable", "expired", "sent", "failed"]
ConversionName = Annotated[
    str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
]


class ConversionCreate(BaseModel):
    lead_id: uuid.UUID
    conversion_name: ConversionName = "purchase"
    conversion_value: Annotated[Decimal | None, Field(ge=0, max_digits=14, decimal_places=2)] = None
    conversion_currency: Annotated[str | None, Field(pattern=r"^[A-Za-z]{3}$")] = Field(
        None, description="ISO 4217; the organization's currency when omitted"
    )
    conversion_date: AwareDatetime | None = Field(
        None, description="When the sale closed (with its offset); now when omitted"
    )
    order_id: Annotated[str | None, Field(min_length=1, max_length=255)] = Field(
        None,
        description="Your order id, sent as the platforms' dedup key (no personal data); "
        "the conversion id when omitted",
    )


class UsedClick(BaseModel):
    """The click a platform gets: the newest of that platform's clicks in the person's
    journey (not necessarily the credited touch's)."""

    tracking_id: uuid.UUID | None = Field(description="The touch the click came from")
    clicked_at: datetime | None
    click_id_type: str | None = Field(description="gclid, gbraid, wbraid, fbc, fbclid, ...")
    click_id: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    credited: bool = Field(description="The credited touch's click (the one reporting uses)")


class PlatformSync(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    platform: str
    status: str
    reason: str | None
    reason_code: str | None = Field(
        None,
        description="The reason as a code (`reason_params` fill it in): "
        "no_credential, no_ad_consent, nothing_to_match, needs_email, outside_window, "
        "click_too_old, conversion_too_old, waiting, gave_up, platform_message",
    )
    reason_params: dict[str, Any] = Field(default_factory=dict)
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    sent_at: datetime | None
    click: UsedClick | None = None


class Conversion(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    conversion_id: uuid.UUID
    lead_id: uuid.UUID
    original_tracking_id: uuid.UUID | None
    gclid: str | None
    gbraid: str | None
    wbraid: str | None
    fbclid: str | None
    fbc: str | None
    fbp: str | None
    ttclid: str | None
    li_fat_id: str | None
    msclkid: str | None
    clicked_at: datetime | None
    conversion_value: Decimal | None
    conversion_currency: str
    conversion_date: datetime
    conversion_name: str
    order_id: str
    origin: str
    order_status: str = Field(description="paid | refunded | chargedback")
    refunded_at: datetime | None
    sync_status: dict[str, str]
    platforms: list[PlatformSync] = Field(default_factory=list)
    lead_name: str | None = None
    campaign: str | None = None
    created_at: datetime


class SyncLogEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sync_id: uuid.UUID
    platform: str
    batch_id: uuid.UUID | None
    attempt: int
    sync_status: str
    request_payload: dict[str, Any]
    response_data: dict[str, Any]
    error_message: str | None
    http_status_code: int | None
    synced_at: datetime


class ConversionDetail(BaseModel):
    conversion: Conversion
    sync_log: list[SyncLogEntry]


class RetryIn(BaseModel):
    platform: Platform | None = Field(None, description="Only this platform; all when omitted")


class ResendIn(BaseModel):
    platform: Platform


class RefundIn(BaseModel):
    status: Literal["refunded", "chargedback"]
    refunded_at: AwareDatetime | None = Field(
        None, description="When the money went back (with its offset); now when omitted"
    )


class PlatformHealth(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    platform: str
    state: Literal["not_configured", "healthy", "degraded", "failing"] = Field(
        description="not_configured: no active credential; failing: credential refused or "
        "circuit open (reconnect / wait); degraded: at least 20 % of at least 5 attempts "
        "failed in 24 hours, or the circuit is testing; healthy otherwise"
    )
    reason: (
        Literal[
            "no_credential", "credential_rejected", "breaker_open", "breaker_testing", "error_rate"
        ]
        | None
    ) = Field(description="Why the state is not healthy")
    last_success_at: datetime | None
    attempts_24h: int
    failed_24h: int
    error_rate_24h: float | None
    queue_length: int
    breaker_state: Literal["closed", "half_open", "open"]
    breaker_open_until: datetime | None
    credential_rejected_at: datetime | None = Field(
        description="When the platform last refused the credential (until it is changed)"
    )


class PlatformAction(BaseModel):
    event_name: Annotated[str | None, Field(min_length=1, max_length=100)] = Field(
        None, description="Meta / TikTok event name"
    )
    action_id: Annotated[str | None, Field(min_length=1, max_length=100)] = Field(
        None, description="Google conversion action id / LinkedIn conversion rule id"
    )
    action_source: (
        Literal[
            "email",
            "website",
            "app",
            "phone_call",
            "chat",
            "physical_store",
            "system_generated",
            "business_messaging",
            "other",
        ]
        | None
    ) = Field(None, description="Meta action_source (system_generated when omitted)")
    window_days: Annotated[int | None, Field(ge=1, le=365)] = None


class ConversionSettings(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    won_conversion_name: ConversionName = "purchase"
    windows: dict[Platform, Annotated[int, Field(ge=1, le=365)]] = Field(
        default_factory=dict,
        description="Attribution window after the click, in days, per platform",
    )
    actions: dict[ConversionName, dict[Platform, PlatformAction]] = Field(default_factory=dict)

    @field_validator("actions", mode="after")
    @classmethod
    def _drop_empty(
        cls, value: dict[str, dict[str, PlatformAction]]
    ) -> dict[str, dict[str, PlatformAction]]:
        return {name: platforms for name, platforms in value.items() if platforms}


class ConversionSettingsOut(ConversionSettings):
    effective_windows: dict[str, int]
