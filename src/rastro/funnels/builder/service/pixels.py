"""Tracking pixels (seed 002 `tracking_pixels`): an ad platform's pixel on a funnel's
public pages, or on one step's, with the event it sends there besides PageView."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import NotFound, UnprocessableEntity, field_error, validation_details
from rastro.core.pagination import PageParams, paginate
from rastro.core.references import UnknownReference
from rastro.funnels.builder import schemas
from rastro.funnels.builder.models import FunnelStep, TrackingPixel
from rastro.funnels.builder.service import funnels


async def _check_step(
    session: AsyncSession, funnel_id: uuid.UUID, step_id: uuid.UUID | None
) -> None:
    if step_id is None:
        return
    step = await session.get(FunnelStep, step_id)
    if step is None:
        raise UnknownReference(field="step_id", key=step_id)
    if step.funnel_id != funnel_id:
        raise field_error("step_id", "The step is not a step of this pixel's funnel.")


async def get_pixel_row(session: AsyncSession, pixel_id: uuid.UUID) -> TrackingPixel:
    pixel = await session.get(TrackingPixel, pixel_id)
    if pixel is None:
        raise NotFound("Pixel not found.")
    return pixel


async def list_pixels(
    session: AsyncSession,
    params: PageParams,
    *,
    funnel_id: uuid.UUID | None = None,
    step_id: uuid.UUID | None = None,
) -> tuple[list[schemas.Pixel], int]:
    """The organization's pixels, optionally of one funnel or step."""
    query = select(TrackingPixel).order_by(TrackingPixel.created_at, TrackingPixel.id)
    if funnel_id is not None:
        query = query.where(TrackingPixel.funnel_id == funnel_id)
    if step_id is not None:
        query = query.where(TrackingPixel.step_id == step_id)
    rows, total = await paginate(session, query, params)
    return [schemas.Pixel.model_validate(row) for row in rows], total


async def create_pixel(session: AsyncSession, *, body: schemas.PixelCreate) -> schemas.Pixel:
    """A pixel on a funnel (or one of its steps); 422 for a foreign funnel or step."""
    await funnels.check_funnel(session, body.funnel_id, field="funnel_id")
    await _check_step(session, body.funnel_id, body.step_id)
    pixel = TrackingPixel(**body.model_dump())
    session.add(pixel)
    await session.flush()
    await session.refresh(pixel)
    return schemas.Pixel.model_validate(pixel)


async def update_pixel(
    session: AsyncSession, pixel_id: uuid.UUID, *, changes: dict[str, Any]
) -> schemas.Pixel:
    """Change a pixel; its id, snippet and step are checked as on creation."""
    pixel = await get_pixel_row(session, pixel_id)
    if "step_id" in changes:
        await _check_step(session, pixel.funnel_id, changes["step_id"])
    merged = {
        "funnel_id": pixel.funnel_id,
        "step_id": pixel.step_id,
        "pixel_type": pixel.pixel_type,
        "pixel_id": pixel.pixel_id,
        "event_name": pixel.event_name,
        "snippet": pixel.snippet,
        "is_active": pixel.is_active,
        **changes,
    }
    try:  # the type's rules, on the pixel as it would be
        checked = schemas.PixelCreate.model_validate(merged)
    except ValidationError as error:
        raise UnprocessableEntity(
            details=validation_details([{**e, "loc": ("body", *e["loc"])} for e in error.errors()])
        ) from None
    for field in changes:
        setattr(pixel, field, getattr(checked, field))
    await session.flush()
    await session.refresh(pixel)
    return schemas.Pixel.model_validate(pixel)


async def delete_pixel(session: AsyncSession, pixel_id: uuid.UUID) -> None:
    await session.delete(await get_pixel_row(session, pixel_id))
    await session.flush()
