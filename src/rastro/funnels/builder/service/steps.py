"""A funnel's steps: create (at a position), change, delete, reorder.

Positions (`order_index`) are 0…n-1 in every funnel after every change; the funnel's row
is locked while they move, so concurrent changes to one funnel's steps queue up. A
reorder is atomic and must name exactly the funnel's steps (422 `reorder_mismatch`
otherwise, nothing moved). Settings and content are validated for the step's type
(`steps.parse_step_config`), 422 naming each field.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import NotFound, field_error
from rastro.core.references import UnknownReference
from rastro.funnels.builder import schemas
from rastro.funnels.builder.errors import InvalidStepConfig, ReorderMismatch, SlugTaken
from rastro.funnels.builder.models import FunnelStep
from rastro.funnels.builder.service import funnels
from rastro.funnels.builder.service.views import step_view
from rastro.funnels.builder.steps import StepConfigError, parse_step_config


def checked_config(
    step_type: str, settings: dict[str, Any], content: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The settings and content validated for the type (422 naming each field)."""
    try:
        return parse_step_config(step_type, settings, content)
    except StepConfigError as error:
        raise InvalidStepConfig(error.errors) from None


async def _ordered(session: AsyncSession, funnel_id: uuid.UUID) -> list[FunnelStep]:
    return list(
        await session.scalars(
            select(FunnelStep)
            .where(FunnelStep.funnel_id == funnel_id)
            .order_by(FunnelStep.order_index, FunnelStep.created_at)
        )
    )


async def _renumber(steps: list[FunnelStep], session: AsyncSession) -> None:
    # The (funnel, position) constraint is checked at commit: positions may swap here.
    for index, step in enumerate(steps):
        if step.order_index != index:
            step.order_index = index
    await session.flush()


async def _view(session: AsyncSession, step: FunnelStep) -> schemas.Step:
    funnel = await funnels.get_funnel_row(session, step.funnel_id)
    await session.refresh(step)
    return step_view(
        step,
        funnel_slug=funnel.slug,
        organization_slug=await funnels.organization_slug(session),
    )


async def _slug_free(
    session: AsyncSession, funnel_id: uuid.UUID, slug: str, *, except_id: uuid.UUID | None
) -> bool:
    query = select(FunnelStep.id).where(FunnelStep.funnel_id == funnel_id, FunnelStep.slug == slug)
    if except_id is not None:
        query = query.where(FunnelStep.id != except_id)
    return await session.scalar(query.limit(1)) is None


async def list_steps(session: AsyncSession, funnel_id: uuid.UUID) -> list[schemas.Step]:
    """The funnel's steps in order (404 for another organization's funnel)."""
    return (await funnels.get_funnel(session, funnel_id)).steps


async def get_step_row(
    session: AsyncSession, funnel_id: uuid.UUID, step_id: uuid.UUID
) -> FunnelStep:
    """The funnel's step (404 when the id is not a step of that funnel)."""
    step = await session.get(FunnelStep, step_id)
    if step is None or step.funnel_id != funnel_id:
        raise NotFound("Step not found.")
    return step


async def create_step(
    session: AsyncSession, funnel_id: uuid.UUID, *, body: schemas.StepCreate
) -> schemas.Step:
    """A new step at `position` (last when omitted); 409 for a slug the funnel uses."""
    funnel = await funnels.get_funnel_row(session, funnel_id, lock=True)
    settings, content = checked_config(body.step_type, body.settings, body.content)
    if body.slug is not None:
        if not await _slug_free(session, funnel.id, body.slug, except_id=None):
            raise SlugTaken(body.slug, where="step of this funnel")
        slug = body.slug
    else:
        base, n = funnels.slug_from(body.name), 2
        slug = base
        while not await _slug_free(session, funnel.id, slug, except_id=None):
            slug, n = f"{base}-{n}", n + 1
    steps = await _ordered(session, funnel.id)
    position = len(steps) if body.position is None else min(body.position, len(steps))
    step = FunnelStep(
        funnel_id=funnel.id,
        name=body.name,
        slug=slug,
        step_type=body.step_type,
        order_index=len(steps),
        is_active=body.is_active,
        settings=settings,
        content=content,
    )
    session.add(step)
    await session.flush()
    steps.insert(position, step)
    await _renumber(steps, session)
    return await _view(session, step)


async def update_step(
    session: AsyncSession,
    funnel_id: uuid.UUID,
    step_id: uuid.UUID,
    *,
    body: schemas.StepUpdate,
) -> schemas.Step:
    """Change a step's name, slug, state, settings or content (validated for its type)."""
    await funnels.get_funnel_row(session, funnel_id, lock=True)
    step = await get_step_row(session, funnel_id, step_id)
    changes = body.model_dump(exclude_unset=True)
    if "settings" in changes or "content" in changes:
        step.settings, step.content = checked_config(
            step.step_type,
            changes.pop("settings", step.settings),
            changes.pop("content", step.content),
        )
    slug = changes.get("slug")
    if (
        slug is not None
        and slug != step.slug
        and not await _slug_free(session, funnel_id, slug, except_id=step.id)
    ):
        raise SlugTaken(slug, where="step of this funnel")
    for field, value in changes.items():
        setattr(step, field, value)
    await session.flush()
    return await _view(session, step)


async def delete_step(session: AsyncSession, funnel_id: uuid.UUID, step_id: uuid.UUID) -> None:
    """Delete a step (its checkout config and pixels with it); the others close the gap."""
    await funnels.get_funnel_row(session, funnel_id, lock=True)
    step = await get_step_row(session, funnel_id, step_id)
    await session.delete(step)
    await session.flush()
    await _renumber(await _ordered(session, funnel_id), session)


async def reorder_steps(
    session: AsyncSession, funnel_id: uuid.UUID, *, step_ids: list[uuid.UUID]
) -> list[schemas.Step]:
    """Put the funnel's steps in the order given: every step once and no other (422
    `reorder_mismatch` naming the missing, unknown and repeated ids; nothing moved)."""
    await funnels.get_funnel_row(session, funnel_id, lock=True)
    steps = {step.id: step for step in await _ordered(session, funnel_id)}
    repeated = sorted(str(i) for i, n in Counter(step_ids).items() if n > 1)
    unknown = [str(i) for i in step_ids if i not in steps]
    missing = [str(i) for i in steps if i not in set(step_ids)]
    if repeated or unknown or missing:
        raise ReorderMismatch(
            details={"missing": missing, "unknown": unknown, "repeated": repeated}
        )
    # One statement per step; the deferred constraint lets positions swap.
    for index, step_id in enumerate(step_ids):
        if steps[step_id].order_index != index:
            await session.execute(
                update(FunnelStep)
                .where(FunnelStep.id == step_id)
                .values(order_index=index)
                .execution_options(synchronize_session="fetch")
            )
    return await list_steps(session, funnel_id)


async def check_funnel_step(
    session: AsyncSession, funnel_id: uuid.UUID | None, step_id: uuid.UUID | None
) -> None:
    """422 unless the funnel is the organization's and the step one of its steps (a step
    needs its funnel)."""
    await funnels.check_funnel(session, funnel_id, field="funnel_id")
    if step_id is None:
        return
    step = await session.get(FunnelStep, step_id)
    if step is None:
        raise UnknownReference(field="step_id", key=step_id)
    if funnel_id is None or step.funnel_id != funnel_id:
        raise field_error("step_id", "The step is not a step of the funnel named.")
