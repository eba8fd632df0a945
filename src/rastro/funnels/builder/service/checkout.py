"""The checkout configs (seed 002 `checkout_configs`): the offer of a checkout, upsell or
downsell step — product, price, currency, payment methods and the page's blocks. One per
step; a PUT writes it whole."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import NotFound, field_error
from rastro.funnels.builder import schemas
from rastro.funnels.builder.models import CheckoutConfig
from rastro.funnels.builder.service import funnels, steps
from rastro.funnels.builder.steps import OFFER_STEPS


async def find_checkout_config(session: AsyncSession, step_id: uuid.UUID) -> CheckoutConfig | None:
    """The step's checkout config, if it has one."""
    found: CheckoutConfig | None = await session.scalar(
        select(CheckoutConfig).where(CheckoutConfig.step_id == step_id)
    )
    return found


async def get_checkout_config(
    session: AsyncSession, funnel_id: uuid.UUID, step_id: uuid.UUID
) -> schemas.CheckoutConfig:
    """The step's checkout config (404 when the step has none yet)."""
    step = await steps.get_step_row(session, funnel_id, step_id)
    config = await find_checkout_config(session, step.id)
    if config is None:
        raise NotFound("This step has no checkout config yet.")
    return schemas.CheckoutConfig.model_validate(config)


async def put_checkout_config(
    session: AsyncSession,
    funnel_id: uuid.UUID,
    step_id: uuid.UUID,
    *,
    body: schemas.CheckoutConfigIn,
) -> tuple[schemas.CheckoutConfig, bool]:
    """Write the step's checkout config whole; returns it and whether it was created.
    422 for a step that sells nothing (capture, vsl, thank-you)."""
    await funnels.get_funnel_row(session, funnel_id, lock=True)
    step = await steps.get_step_row(session, funnel_id, step_id)
    if step.step_type not in OFFER_STEPS:
        raise field_error(
            "step_id", "Only checkout, upsell and downsell steps have a checkout config."
        )
    config = await find_checkout_config(session, step.id)
    created = config is None
    if config is None:
        config = CheckoutConfig(funnel_id=funnel_id, step_id=step.id)
        session.add(config)
    # Money stays Decimal; the JSON configs as JSON (their URLs as text).
    for field, value in body.model_dump(mode="python").items():
        setattr(config, field, value)
    for field in ("fields_config", "design_config", "upsell_config"):
        setattr(config, field, getattr(body, field).model_dump(mode="json", exclude_none=True))
    await session.flush()
    await session.refresh(config)
    return schemas.CheckoutConfig.model_validate(config), created
