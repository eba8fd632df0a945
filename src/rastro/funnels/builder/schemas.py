"""Request and response bodies of `/api/funnels…`, `/api/checkout…` and
`/api/tracking/pixels…`."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from rastro.core.inputs import NotNull
from rastro.core.types import Name
from rastro.funnels.builder.offers import CheckoutDesign, CheckoutFields, Price, UpsellConfig
from rastro.funnels.builder.steps import PixelType, Slug, StepType

_Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
_Niche = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- funnels ---------------------------------------------------------------------------------


class FunnelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    require_consent: bool = Field(
        False,
        description="The public pages ask for consent before the tracker and the pixels run",
    )


class FunnelCreate(BaseModel):
    name: Name
    slug: Slug | None = Field(None, description="Derived from the name when omitted")
    description: _Description | None = None
    niche: _Niche | None = None
    is_active: bool = True
    settings: FunnelSettings = Field(default_factory=FunnelSettings)
    domain_id: uuid.UUID | None = Field(
        None, description="The tracked site whose tracker the public pages load"
    )


class FunnelUpdate(BaseModel):
    name: Annotated[Name | None, NotNull] = None
    slug: Annotated[Slug | None, NotNull] = None
    description: _Description | None = None
    niche: _Niche | None = None
    is_active: Annotated[bool | None, NotNull] = None
    settings: Annotated[FunnelSettings | None, NotNull] = None
    domain_id: uuid.UUID | None = None


class FunnelClone(BaseModel):
    name: Name | None = Field(None, description="The copy's name (default: '<name> (cópia)')")
    slug: Slug | None = Field(None, description="The copy's slug (default: a free '<slug>-copia')")


class Step(_Out):
    id: uuid.UUID
    funnel_id: uuid.UUID
    name: str
    slug: str
    step_type: StepType
    order_index: int
    is_active: bool
    settings: dict[str, Any]
    content: dict[str, Any]
    public_path: str = Field(description="The step's public page on Rastro's own host")
    created_at: datetime
    updated_at: datetime


class Funnel(_Out):
    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    niche: str | None
    is_active: bool
    settings: dict[str, Any]
    domain_id: uuid.UUID | None
    step_count: int
    created_at: datetime
    updated_at: datetime


class FunnelDetail(Funnel):
    steps: list[Step]


class StepCreate(BaseModel):
    name: Name
    slug: Slug | None = Field(None, description="Derived from the name when omitted")
    step_type: StepType
    is_active: bool = True
    settings: dict[str, Any] = Field(default_factory=dict, description="As the step type says")
    content: dict[str, Any] = Field(default_factory=dict, description="As the step type says")
    position: Annotated[int | None, Field(ge=0, le=1000)] = Field(
        None, description="Where to insert the step (0 first); last when omitted"
    )


class StepUpdate(BaseModel):
    """The type is fixed; settings and content are replaced whole and validated for it."""

    name: Annotated[Name | None, NotNull] = None
    slug: Annotated[Slug | None, NotNull] = None
    is_active: Annotated[bool | None, NotNull] = None
    settings: Annotated[dict[str, Any] | None, NotNull] = None
    content: Annotated[dict[str, Any] | None, NotNull] = None


class StepPreview(BaseModel):
    """Unsaved settings and content to preview (the stored ones where omitted)."""

    settings: dict[str, Any] | None = None
    content: dict[str, Any] | None = None


class StepsReorder(BaseModel):
    step_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=1000)] = Field(
        description="Every step of the funnel, each once, in the new order"
    )


# --- checkout configs ------------------------------------------------------------------------


class CheckoutConfigIn(BaseModel):
    product_name: Name
    product_price: Price = Field(description="In the currency's units, at most two decimals")
    currency: Literal["BRL"] = Field("BRL", description="PIX charges are in reais")
    payment_methods: Annotated[list[Literal["pix"]], Field(min_length=1, max_length=1)] = Field(
        default_factory=lambda: list[Literal["pix"]](["pix"])
    )
    fields_config: CheckoutFields = Field(default_factory=CheckoutFields)
    design_config: CheckoutDesign = Field(default_factory=CheckoutDesign)
    upsell_config: UpsellConfig = Field(default_factory=UpsellConfig)


class CheckoutConfig(_Out):
    id: uuid.UUID
    funnel_id: uuid.UUID
    step_id: uuid.UUID
    product_name: str
    product_price: Decimal
    currency: str
    payment_methods: list[str]
    fields_config: dict[str, Any]
    design_config: dict[str, Any]
    upsell_config: dict[str, Any]
    created_at: datetime
    updated_at: datetime


# --- tracking pixels -------------------------------------------------------------------------

_PIXEL_IDS: dict[str, tuple[re.Pattern[str], str]] = {
    "facebook": (re.compile(r"^\d{5,20}$"), "A Meta pixel id is 5 to 20 digits."),
    "google": (
        re.compile(r"^(?:G-[A-Z0-9]{4,20}|AW-\d{5,15}(?:/[A-Za-z0-9_-]{1,40})?)$"),
        "A Google tag is G-XXXXXXX (GA4) or AW-123456789[/label] (Ads conversion).",
    ),
    "tiktok": (re.compile(r"^[A-Z0-9]{10,30}$"), "A TikTok pixel id is 10 to 30 A-Z or 0-9."),
    "custom": (re.compile(r"^[\w .:/-]{1,100}$"), "A custom pixel's id is a short name."),
}
EventName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
]
_Snippet = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]


def pixel_id_error(pixel_type: str, pixel_id: str) -> str | None:
    """Why `pixel_id` is not an id of that platform (None when it is)."""
    pattern, message = _PIXEL_IDS[pixel_type]
    return None if pattern.fullmatch(pixel_id) else message


class PixelCreate(BaseModel):
    funnel_id: uuid.UUID
    step_id: uuid.UUID | None = Field(None, description="Only this step's page; all when omitted")
    pixel_type: PixelType
    pixel_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    event_name: EventName | None = Field(
        None,
        description="The event this pixel sends on its pages besides PageView (Lead, "
        "InitiateCheckout, Purchase…)",
    )
    snippet: _Snippet | None = Field(
        None, description="A custom pixel's HTML, placed as written (custom only)"
    )
    is_active: bool = True

    @model_validator(mode="after")
    def _fits_type(self) -> PixelCreate:
        message = pixel_id_error(self.pixel_type, self.pixel_id)
        if message:
            raise ValueError(message)
        if (self.pixel_type == "custom") != (self.snippet is not None):
            raise ValueError("A custom pixel needs its snippet; the others take none.")
        return self


class PixelUpdate(BaseModel):
    step_id: uuid.UUID | None = None
    pixel_id: Annotated[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
        | None,
        NotNull,
    ] = None
    event_name: EventName | None = None
    snippet: _Snippet | None = None
    is_active: Annotated[bool | None, NotNull] = None


class Pixel(_Out):
    id: uuid.UUID
    funnel_id: uuid.UUID
    step_id: uuid.UUID | None
    pixel_type: PixelType
    pixel_id: str
    event_name: str | None
    snippet: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
