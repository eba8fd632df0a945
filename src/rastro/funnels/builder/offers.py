"""What a checkout config holds besides its product and price (seed 002
`checkout_configs`): the buyer's fields (`fields_config`), the page's design
(`design_config`: colour, logo, guarantee, testimonials) and the order bump
(`upsell_config`: a second product offered as a tick box on the checkout, added to the
same PIX charge). One Pydantic model each, unknown keys refused on input; configs stored
before a key existed read with its default.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from rastro.funnels.builder.steps import Image

Price = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
_Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
_Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Colour = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^#[0-9a-fA-F]{6}$"),
    Field(description="A hex colour, #rrggbb"),
]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckoutFields(_Config):
    """The buyer's fields besides name and e-mail (phone and CPF/CNPJ are the checkout
    step's own settings)."""

    address: bool = Field(
        False, description="Ask for the postal address (CEP, street, number, city, state)"
    )


class Testimonial(_Config):
    name: _Short
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]
    photo: Image | None = None


class CheckoutDesign(_Config):
    primary_color: Colour | None = Field(None, description="Buttons and price (default: green)")
    logo: Image | None = None
    guarantee_days: Annotated[int, Field(ge=0, le=365)] = Field(
        0, description="The guarantee's days shown as a seal (0: none)"
    )
    testimonials: Annotated[list[Testimonial], Field(max_length=6)] = Field(default_factory=list)


class OrderBump(_Config):
    product_name: _Short
    price: Price
    description: _Text = ""


class UpsellConfig(_Config):
    order_bump: OrderBump | None = Field(
        None, description="A second product as a tick box on the checkout, in the same charge"
    )


Config = TypeVar("Config", bound=_Config)


def read_config(model: type[Config], stored: dict[str, Any] | None) -> Config:
    """A stored config as its model; one stored before the model (unknown keys, old
    shapes) reads as the defaults rather than breaking the page."""
    try:
        return model.model_validate(stored or {})
    except ValidationError:
        return model()
