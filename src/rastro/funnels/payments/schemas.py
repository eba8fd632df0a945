"""Request and response bodies of `/api/payments`, and the status change other layers
subscribe to (`PaymentStatusChanged`)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from rastro.funnels.payments.brcode import is_valid_cnpj, is_valid_cpf
from rastro.funnels.payments.statuses import PaymentStatus

GatewayName = Literal["pix_api", "mercadopago", "pagarme", "asaas", "static_pix"]
_NOT_DIGITS = re.compile(r"[.\-/\s]")


UF = Literal[
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB",
    "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
]  # fmt: skip
_Part = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AddressIn(BaseModel):
    """A Brazilian postal address (asked on a checkout that needs it)."""

    model_config = ConfigDict(extra="forbid")

    zip: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{5}-?\d{3}$")] = (
        Field(description="CEP, 8 digits")
    )
    street: _Part
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    state: UF = Field(description="UF, two letters")

    @field_validator("state", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


class CustomerIn(BaseModel):
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    email: EmailStr | None = None
    phone: Annotated[str | None, Field(min_length=8, max_length=32)] = Field(
        None,
        description="With the country code (+55…); Brazilian numbers without it are read as +55",
    )
    document: Annotated[str | None, Field(max_length=20)] = Field(
        None, description="CPF or CNPJ, with or without punctuation (check digits verified)"
    )
    address: AddressIn | None = None

    @field_validator("document")
    @classmethod
    def _document(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = _NOT_DIGITS.sub("", value)
        if not digits.isdigit():
            raise ValueError("A CPF or CNPJ has digits only (punctuation aside).")
        if len(digits) == 11 and is_valid_cpf(digits):
            return digits
        if len(digits) == 14 and is_valid_cnpj(digits):
            return digits
        raise ValueError("Not a valid CPF or CNPJ (check digits).")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = re.sub(r"[^\d+]", "", value)
        if not digits.startswith("+"):
            digits = "+55" + digits.lstrip("0")
        if not re.fullmatch(r"\+\d{10,15}", digits):
            raise ValueError("Not a phone number.")
        return digits


class PaymentOrderBump(BaseModel):
    """The checkout's order bump: a second product offered as a tick box on the checkout."""

    product_name: Annotated[str, Field(min_length=1, max_length=255)]
    amount: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
    accepted: bool = Field(description="The buyer ticked it: its amount is part of the charge")


class PaymentCreate(BaseModel):
    amount: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)] = Field(
        description="In the currency's units, at most two decimals"
    )
    currency: Literal["BRL"] = Field("BRL", description="PIX charges are in reais")
    product_name: Annotated[str, Field(min_length=1, max_length=255)]
    customer: CustomerIn = Field(default_factory=CustomerIn)
    credential_id: uuid.UUID | None = Field(
        None,
        description="The gateway account (a vault credential of a payment service); the "
        "organization's first active one when omitted",
    )
    expires_in: Annotated[int, Field(ge=60, le=7 * 86400)] = Field(
        3600, description="Seconds until the PIX expires"
    )
    funnel_id: uuid.UUID | None = None
    step_id: uuid.UUID | None = None
    session_id: Annotated[str | None, Field(min_length=1, max_length=64)] = Field(
        None, description="The tracker's session id (click ids and UTMs come from it)"
    )
    visitor_id: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    parent_payment_id: uuid.UUID | None = Field(
        None, description="An upsell's charge: the payment it follows"
    )
    idempotency_key: Annotated[str | None, Field(min_length=1, max_length=255)] = Field(
        None,
        description="The checkout submission's id: the same key returns the same payment "
        "(the Idempotency-Key header does the same)",
    )
    order_bump: PaymentOrderBump | None = Field(
        None,
        description="The order bump the checkout offered, ticked or not (an accepted one's "
        "amount is included in `amount`)",
    )

    @model_validator(mode="after")
    def _bump_within_amount(self) -> PaymentCreate:
        bump = self.order_bump
        if bump is not None and bump.accepted and bump.amount >= self.amount:
            raise ValueError("An accepted order bump's amount is part of the amount.")
        return self


class Payment(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: PaymentStatus
    amount: Decimal
    currency: str
    gateway: str
    payment_method: str
    product_name: str | None
    bump_product_name: str | None = Field(description="The order bump offered (null: none)")
    bump_amount: Decimal | None
    bump_accepted: bool | None = Field(description="The buyer ticked the order bump")
    external_id: str | None
    txid: str | None
    pix_copy_paste: str | None = Field(description="The BR Code (copia e cola)")
    pix_qr_svg: str | None = Field(None, description="The BR Code's QR image, inline SVG")
    pix_url: str | None
    expires_at: datetime | None
    paid_at: datetime | None
    status_changed_at: datetime
    funnel_id: uuid.UUID | None
    step_id: uuid.UUID | None
    session_id: str | None
    parent_payment_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    conversion_id: uuid.UUID | None
    purchase_event_id: str = Field(
        description="The Purchase event id shared by the browser pixel and the conversion"
    )
    created_at: datetime


class PaymentStatusOut(BaseModel):
    id: uuid.UUID
    status: PaymentStatus
    paid_at: datetime | None
    expires_at: datetime | None
    status_changed_at: datetime
    purchase_event_id: str


WebhookOutcome = Literal[
    "applied", "same", "backwards", "unknown_payment", "rejected", "not_configured", "ignored"
]


class WebhookResult(BaseModel):
    external_id: str
    outcome: WebhookOutcome
    status: PaymentStatus | None = None


class WebhookReceipt(BaseModel):
    gateway: str
    received: int
    results: list[WebhookResult]


@dataclass(frozen=True)
class PaymentStatusChanged:
    """A payment moved to a new status (handed to `on_payment_status_changed`
    listeners in the change's transaction)."""

    payment_id: uuid.UUID
    organization_id: uuid.UUID
    funnel_id: uuid.UUID | None
    step_id: uuid.UUID | None
    session_id: str | None
    previous: str | None  # None: the payment was just created
    status: str
    amount: Decimal
    currency: str
    changed_at: datetime


class PaymentSummary(BaseModel):
    """A payment as the funnel monitor and analytics read it (no buyer data)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    funnel_id: uuid.UUID | None
    step_id: uuid.UUID | None
    session_id: str | None
    parent_payment_id: uuid.UUID | None
    status: PaymentStatus
    amount: Decimal
    currency: str
    payment_method: str
    product_name: str | None
    bump_amount: Decimal | None = None
    bump_accepted: bool | None = None
    created_at: datetime
    paid_at: datetime | None
    status_changed_at: datetime
