"""Bodies of the recovery API (settings, cases, report) and the recovery opportunity
handed to the listeners of `service.hooks` (frozen, no ORM)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CaseKind = Literal["checkout_abandoned", "pix_unpaid", "boleto_unpaid"]
Channel = Literal["webhook", "whatsapp", "email"]
ActionStatus = Literal["pending", "sent", "failed"]
Language = Literal["pt-BR", "en"]
PLACEHOLDERS = ("{first_name}", "{product}", "{amount}", "{link}")


class RecoverySettingsIn(BaseModel):
    enabled: bool = True
    checkout_delay_minutes: Annotated[int, Field(ge=5, le=10080)] = Field(
        30, description="Minutes after a checkout with contact data is left before recovery"
    )
    pix_delay_minutes: Annotated[int, Field(ge=5, le=10080)] = Field(
        15, description="Minutes after a PIX is generated without payment before recovery"
    )
    boleto_delay_minutes: Annotated[int, Field(ge=5, le=20160)] = Field(
        1440, description="Minutes after a boleto is issued without payment before recovery"
    )
    link_valid_hours: Annotated[int, Field(ge=1, le=720)] = Field(
        72, description="How long the resume link works after detection"
    )
    language: Language = Field("pt-BR", description="Language of the WhatsApp message")
    whatsapp_message: Annotated[str | None, Field(min_length=1, max_length=1000)] = Field(
        None,
        description="Custom WhatsApp message; {first_name}, {product}, {amount} and {link} "
        "are filled in (the default message of the language when empty)",
    )
    webhook_credential_id: uuid.UUID | None = Field(
        None, description="A vault credential of service `webhook`: the signed webhook's URL"
    )

    @field_validator("whatsapp_message")
    @classmethod
    def _placeholders(cls, value: str | None) -> str | None:
        if value is None:
            return None
        rest = value
        for placeholder in PLACEHOLDERS:
            rest = rest.replace(placeholder, "")
        if "{" in rest or "}" in rest:
            raise ValueError(
                "Only {first_name}, {product}, {amount} and {link} may be used in braces."
            )
        if "{link}" not in value:
            raise ValueError("The message must contain {link} (the resume link).")
        return value


class RecoverySettings(RecoverySettingsIn):
    model_config = ConfigDict(from_attributes=True)

    funnel_id: uuid.UUID
    is_default: bool = Field(description="True while the funnel has no saved settings")


class RecoveryActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: Channel
    status: ActionStatus
    attempts: int
    http_status: int | None
    sent_at: datetime | None


class RecoveryCaseOut(BaseModel):
    id: uuid.UUID
    kind: CaseKind
    funnel_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    first_name: str | None
    phone: str | None
    product_name: str | None
    amount: Decimal
    currency: str
    utm_source: str | None
    utm_campaign: str | None
    detected_at: datetime
    resume_expires_at: datetime
    resumed_at: datetime | None
    recovered_at: datetime | None
    recovered_amount: Decimal | None
    whatsapp_url: str | None = Field(
        description="wa.me link to the buyer's phone with the message filled in"
    )
    actions: list[RecoveryActionOut]


class RecoveryCasePage(BaseModel):
    items: list[RecoveryCaseOut]
    total: int


class RecoveryFigures(BaseModel):
    abandoned: int = Field(description="Checkouts left with contact data")
    unpaid: int = Field(description="PIX and boletos generated and not paid in time")
    actions_sent: int
    recovered: int
    recovered_revenue: Decimal
    recovery_rate: float = Field(description="Recovered / (abandoned + unpaid), 0 when none")


class RecoveryCampaignRow(RecoveryFigures):
    utm_source: str | None
    utm_campaign: str | None


class RecoveryDay(BaseModel):
    day: date
    detected: int
    recovered: int
    recovered_revenue: Decimal


class RecoveryReport(BaseModel):
    funnel_id: uuid.UUID | None
    date_from: date
    date_to: date
    timezone: str
    currency: str = "BRL"
    totals: RecoveryFigures
    by_campaign: list[RecoveryCampaignRow]
    by_day: list[RecoveryDay]


@dataclass(frozen=True)
class RecoveryOpportunity:
    """A checkout or payment just detected as abandoned/unpaid, handed to the listeners of
    `on_recovery_opportunity` in the detection's transaction (the e-mail module's "PIX
    unpaid" sequence is wired here). Personal fields are for the message, never logs."""

    case_id: uuid.UUID
    organization_id: uuid.UUID
    funnel_id: uuid.UUID | None
    kind: str  # checkout_abandoned | pix_unpaid | boleto_unpaid
    payment_id: uuid.UUID | None
    first_name: str | None
    name: str | None
    email: str | None
    phone: str | None
    product_name: str | None
    amount: Decimal
    currency: str
    pix_copy_paste: str | None
    resume_url: str
    resume_expires_at: datetime
    language: str
