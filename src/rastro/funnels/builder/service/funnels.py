"""Funnels: create, read, change, delete, and clone (a deep copy of the steps, their
checkout configs and the pixels, under a new unique slug, in the caller's transaction).

Slugs are unique per organization: a taken slug is a 409 naming `body.slug`; a slug left
out is derived from the name and made unique (`-2`, `-3`…).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import accounts
from rastro.core.db import ScopeKind, get_scope
from rastro.core.errors import NotFound
from rastro.core.pagination import PageParams
from rastro.core.references import check_referenced
from rastro.funnels.builder import schemas
from rastro.funnels.builder.errors import SlugTaken
from rastro.funnels.builder.models import CheckoutConfig, Funnel, FunnelStep, TrackingPixel
from rastro.funnels.builder.service.views import funnel_detail, funnel_view
from rastro.tracking.service import config as tracking_config

MAX_SLUG = 100


def slug_from(name: str) -> str:
    """A URL slug from a name: ASCII, lower case, words joined by `-`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:80].strip("-") or "funil"


async def _slug_taken(session: AsyncSession, slug: str, *, except_id: uuid.UUID | None) -> bool:
    query = select(Funnel.id).where(Funnel.slug == slug)
    if except_id is not None:
        query = query.where(Funnel.id != except_id)
    return await session.scalar(query.limit(1)) is not None


async def _free_slug(session: AsyncSession, base: str) -> str:
    """`base`, or `base-2`, `base-3`… whichever the organization does not use yet."""
    taken = set(
        await session.scalars(
            select(Funnel.slug).where(
                (Funnel.slug == base) | Funnel.slug.like(base.replace("_", r"\_") + "-%")
            )
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def organization_slug(session: AsyncSession) -> str:
    scope = get_scope(session)
    if scope is None or scope.kind is not ScopeKind.ORGANIZATION or not scope.organization_id:
        raise RuntimeError("funnels need an organization scope")
    return (await accounts.get_organization(session, scope.organization_id)).slug


async def _steps(session: AsyncSession, funnel_id: uuid.UUID) -> list[FunnelStep]:
    return list(
        await session.scalars(
            select(FunnelStep)
            .where(FunnelStep.funnel_id == funnel_id)
            .order_by(FunnelStep.order_index)
        )
    )


async def get_funnel_row(
    session: AsyncSession, funnel_id: uuid.UUID, *, lock: bool = False
) -> Funnel:
    """The organization's funnel (404 for an unknown id or another organization's)."""
    funnel = await session.get(Funnel, funnel_id, with_for_update=lock or None)
    if funnel is None:
        raise NotFound("Funnel not found.")
    return funnel


async def list_funnels(
    session: AsyncSession, params: PageParams, *, is_active: bool | None = None
) -> tuple[list[schemas.Funnel], int]:
    """The organization's funnels, newest first, each with its number of steps."""
    counts = (
        select(FunnelStep.funnel_id, func.count().label("n"))
        .group_by(FunnelStep.funnel_id)
        .subquery()
    )
    query = (
        select(Funnel, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.funnel_id == Funnel.id)
        .order_by(Funnel.created_at.desc(), Funnel.id)
    )
    if is_active is not None:
        query = query.where(Funnel.is_active.is_(is_active))
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = await session.execute(query.limit(params.page_size).offset(params.offset))
    return [funnel_view(funnel, step_count=n) for funnel, n in rows], int(total or 0)


async def get_funnel(session: AsyncSession, funnel_id: uuid.UUID) -> schemas.FunnelDetail:
    """A funnel with its steps in order."""
    funnel = await get_funnel_row(session, funnel_id)
    return funnel_detail(
        funnel,
        await _steps(session, funnel.id),
        organization_slug=await organization_slug(session),
    )


async def create_funnel(
    session: AsyncSession, *, body: schemas.FunnelCreate, created_by: uuid.UUID | None
) -> schemas.FunnelDetail:
    """A new funnel without steps (409 for a slug in use, 422 for a foreign domain)."""
    await tracking_config.check_domain(session, body.domain_id)
    if body.slug is not None:
        if await _slug_taken(session, body.slug, except_id=None):
            raise SlugTaken(body.slug, where="funnel")
        slug = body.slug
    else:
        slug = await _free_slug(session, slug_from(body.name))
    funnel = Funnel(
        name=body.name,
        slug=slug,
        description=body.description,
        niche=body.niche,
        is_active=body.is_active,
        settings=body.settings.model_dump(),
        domain_id=body.domain_id,
        created_by=created_by,
    )
    session.add(funnel)
    await session.flush()
    await session.refresh(funnel)
    return funnel_detail(funnel, [], organization_slug=await organization_slug(session))


async def update_funnel(
    session: AsyncSession, funnel_id: uuid.UUID, *, changes: dict[str, Any]
) -> schemas.FunnelDetail:
    """Change the fields given (409 for a slug in use, 422 for a foreign domain)."""
    funnel = await get_funnel_row(session, funnel_id, lock=True)
    if "domain_id" in changes:
        await tracking_config.check_domain(session, changes["domain_id"])
    slug = changes.get("slug")
    if (
        slug is not None
        and slug != funnel.slug
        and await _slug_taken(session, slug, except_id=funnel.id)
    ):
        raise SlugTaken(slug, where="funnel")
    for field, value in changes.items():
        setattr(funnel, field, value)
    await session.flush()
    await session.refresh(funnel)
    return await get_funnel(session, funnel.id)


async def delete_funnel(session: AsyncSession, funnel_id: uuid.UUID) -> None:
    """Delete a funnel with its steps, checkout configs and pixels (its payments stay,
    without the funnel)."""
    funnel = await get_funnel_row(session, funnel_id, lock=True)
    await session.execute(delete(Funnel).where(Funnel.id == funnel.id))
    session.expunge(funnel)


def _copy(row: Any, columns: tuple[str, ...], **overrides: Any) -> dict[str, Any]:
    return {**{c: getattr(row, c) for c in columns}, **overrides}


_STEP_COPY = ("name", "slug", "step_type", "order_index", "is_active", "settings", "content")
_CHECKOUT_COPY = (
    "product_name",
    "product_price",
    "currency",
    "payment_methods",
    "fields_config",
    "design_config",
    "upsell_config",
)
_PIXEL_COPY = ("pixel_type", "pixel_id", "event_name", "snippet", "is_active")


async def clone_funnel(
    session: AsyncSession,
    funnel_id: uuid.UUID,
    *,
    body: schemas.FunnelClone,
    created_by: uuid.UUID | None,
) -> schemas.FunnelDetail:
    """A deep copy of the funnel: its steps (same slugs, in a new funnel), their checkout
    configs and the pixels, under a new unique slug; inactive until switched on, so the
    copy goes public only when meant to. 409 when the slug asked for is in use."""
    source = await get_funnel_row(session, funnel_id)
    if body.slug is not None:
        if await _slug_taken(session, body.slug, except_id=None):
            raise SlugTaken(body.slug, where="funnel")
        slug = body.slug
    else:
        slug = await _free_slug(session, f"{source.slug[: MAX_SLUG - 10]}-copia")
    copy = Funnel(
        name=body.name or f"{source.name[:240]} (cópia)",
        slug=slug,
        description=source.description,
        niche=source.niche,
        is_active=False,
        settings=dict(source.settings),
        domain_id=source.domain_id,
        created_by=created_by,
    )
    session.add(copy)
    await session.flush()
    step_ids: dict[uuid.UUID, uuid.UUID] = {}
    for step in await _steps(session, source.id):
        new_step = FunnelStep(**_copy(step, _STEP_COPY, funnel_id=copy.id))
        session.add(new_step)
        await session.flush()
        step_ids[step.id] = new_step.id
    configs = await session.scalars(
        select(CheckoutConfig).where(CheckoutConfig.funnel_id == source.id)
    )
    for checkout in configs:
        session.add(
            CheckoutConfig(
                **_copy(
                    checkout,
                    _CHECKOUT_COPY,
                    funnel_id=copy.id,
                    step_id=step_ids[checkout.step_id],
                )
            )
        )
    pixels = await session.scalars(
        select(TrackingPixel).where(TrackingPixel.funnel_id == source.id)
    )
    for pixel in pixels:
        session.add(
            TrackingPixel(
                **_copy(
                    pixel,
                    _PIXEL_COPY,
                    funnel_id=copy.id,
                    step_id=step_ids[pixel.step_id] if pixel.step_id else None,
                )
            )
        )
    await session.flush()
    await session.refresh(copy)
    return await get_funnel(session, copy.id)


async def check_funnel(session: AsyncSession, funnel_id: uuid.UUID | None, *, field: str) -> None:
    """422 `unknown_reference` unless the funnel is the organization's."""
    await check_referenced(session, Funnel, funnel_id, field=field)
