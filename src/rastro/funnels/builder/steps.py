"""The step types of a funnel and what each one's `settings` and `content` hold: one
Pydantic model per type and field (unknown keys are refused), so a step stored is a
step the public pages can render.

| type | the page |
|---|---|
| capture | a form (name, e-mail, phone) that becomes a lead |
| vsl | a video sales letter with a call to action |
| checkout | the offer of the step's checkout config, paid by PIX |
| upsell, downsell | a one-click offer after a payment: accept (a new PIX) or decline |
| thankyou | the end of the funnel |

Text is plain: the pages escape it (a blank line starts a new paragraph).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

StepType = Literal["capture", "vsl", "checkout", "upsell", "downsell", "thankyou"]
STEP_TYPES: tuple[StepType, ...] = ("capture", "vsl", "checkout", "upsell", "downsell", "thankyou")
# Steps whose offer (product, price) is a checkout config.
OFFER_STEPS: frozenset[str] = frozenset({"checkout", "upsell", "downsell"})

PixelType = Literal["facebook", "google", "tiktok", "custom"]
PIXEL_TYPES: tuple[PixelType, ...] = ("facebook", "google", "tiktok", "custom")

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=SLUG_PATTERN),
]
_Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
_Button = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Image(_Part):
    """An image with its size, so the page reserves its box (no layout shift)."""

    url: HttpUrl
    width: Annotated[int, Field(ge=1, le=4000)]
    height: Annotated[int, Field(ge=1, le=4000)]
    alt: Annotated[str, StringConstraints(max_length=200)] = ""


class _Content(_Part):
    headline: _Line
    subheadline: _Line | None = None
    body: _Text = ""
    image: Image | None = None


# --- capture ---------------------------------------------------------------------------------

CaptureField = Literal["name", "email", "phone"]


class CaptureSettings(_Part):
    fields: list[CaptureField] = Field(
        default_factory=lambda: list[CaptureField](["name", "email"]),
        description="The form's fields, in order; an e-mail or a phone among them",
    )

    @field_validator("fields")
    @classmethod
    def _contactable(cls, value: list[CaptureField]) -> list[CaptureField]:
        if len(set(value)) != len(value):
            raise ValueError("A field is listed twice.")
        if "email" not in value and "phone" not in value:
            raise ValueError("The form needs an e-mail or a phone field.")
        return value


class CaptureContent(_Content):
    button_text: _Button = "Quero receber"
    privacy_note: _Text = ""


# --- vsl -------------------------------------------------------------------------------------

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{6,12}$")


class Video(_Part):
    """A YouTube or Vimeo video by id, or a video file (MP4/WebM) by URL."""

    provider: Literal["youtube", "vimeo", "file"]
    video_id: Annotated[str | None, StringConstraints(max_length=20)] = None
    url: HttpUrl | None = None

    @model_validator(mode="after")
    def _source(self) -> Video:
        if self.provider == "file":
            if self.url is None:
                raise ValueError("A video file needs its `url`.")
        elif self.provider == "youtube":
            if not self.video_id or not _YOUTUBE_ID.fullmatch(self.video_id):
                raise ValueError("A YouTube `video_id` is 11 letters, digits, - or _.")
        elif not self.video_id or not _VIMEO_ID.fullmatch(self.video_id):
            raise ValueError("A Vimeo `video_id` is 6 to 12 digits.")
        return self


class VslSettings(_Part):
    cta_delay_seconds: Annotated[int, Field(ge=0, le=7200)] = Field(
        0, description="Seconds before the call to action appears"
    )


class VslContent(_Content):
    video: Video
    button_text: _Button = "Quero garantir"


# --- checkout --------------------------------------------------------------------------------


class CheckoutSettings(_Part):
    collect_phone: bool = True
    collect_document: bool = Field(True, description="Ask for the buyer's CPF or CNPJ")
    pix_expires_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 30


class CheckoutContent(_Content):
    button_text: _Button = "Gerar PIX"
    guarantee_text: _Text = ""


# --- upsell / downsell ------------------------------------------------------------------------


class OfferSettings(_Part):
    accept_step: Slug | None = Field(
        None, description="The step a paid offer goes to; the next step if omitted"
    )
    decline_step: Slug | None = Field(
        None, description="The step a decline goes to (a downsell); the next step if omitted"
    )
    pix_expires_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 30


class OfferContent(_Content):
    accept_text: _Button = "Sim, eu quero"
    decline_text: _Button = "Não, obrigado"


# --- thank you -------------------------------------------------------------------------------


class ThankyouSettings(_Part):
    pass


class ThankyouContent(_Content):
    pass


STEP_MODELS: dict[str, tuple[type[_Part], type[_Part]]] = {
    "capture": (CaptureSettings, CaptureContent),
    "vsl": (VslSettings, VslContent),
    "checkout": (CheckoutSettings, CheckoutContent),
    "upsell": (OfferSettings, OfferContent),
    "downsell": (OfferSettings, OfferContent),
    "thankyou": (ThankyouSettings, ThankyouContent),
}


class StepConfigError(ValueError):
    """The settings or content do not fit the step's type; `errors` are
    `{loc, message, type}` with `loc` under `body.settings` / `body.content`."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("invalid step configuration")
        self.errors = errors


def parse_step_config(
    step_type: str, settings: dict[str, Any], content: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The settings and content validated for the step type, defaults filled in
    (as stored); `StepConfigError` lists every problem."""
    settings_model, content_model = STEP_MODELS[step_type]
    errors: list[dict[str, str]] = []
    parsed: list[dict[str, Any]] = []
    for name, model, value in (
        ("settings", settings_model, settings),
        ("content", content_model, content),
    ):
        try:
            parsed.append(model.model_validate(value).model_dump(mode="json", exclude_none=True))
        except ValidationError as error:
            for err in error.errors():
                loc = ".".join(str(part) for part in ("body", name, *err["loc"]))
                errors.append({"loc": loc, "message": err["msg"], "type": err["type"]})
    if errors:
        raise StepConfigError(errors)
    return parsed[0], parsed[1]


def step_settings(step_type: str, settings: dict[str, Any]) -> Any:
    """A stored step's settings as its type's model (for the public pages)."""
    return STEP_MODELS[step_type][0].model_validate(settings)


def step_content(step_type: str, content: dict[str, Any]) -> Any:
    """A stored step's content as its type's model (for the public pages)."""
    return STEP_MODELS[step_type][1].model_validate(content)
