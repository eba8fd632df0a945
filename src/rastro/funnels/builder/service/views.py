"""The funnels' rows as the API's schemas (one place, so every endpoint answers alike)."""

from __future__ import annotations

from rastro.funnels.builder import schemas
from rastro.funnels.builder.models import Funnel, FunnelStep


def public_path(organization_slug: str, funnel_slug: str, step_slug: str) -> str:
    """A step's public page on Rastro's own host (an organization's own domain serves it
    at `/f/{funnel_slug}/{step_slug}` too)."""
    return f"/f/{organization_slug}/{funnel_slug}/{step_slug}"


def step_view(step: FunnelStep, *, funnel_slug: str, organization_slug: str) -> schemas.Step:
    return schemas.Step(
        id=step.id,
        funnel_id=step.funnel_id,
        name=step.name,
        slug=step.slug,
        step_type=step.step_type,
        order_index=step.order_index,
        is_active=step.is_active,
        settings=step.settings,
        content=step.content,
        public_path=public_path(organization_slug, funnel_slug, step.slug),
        created_at=step.created_at,
        updated_at=step.updated_at,
    )


def funnel_view(funnel: Funnel, *, step_count: int) -> schemas.Funnel:
    return schemas.Funnel(
        id=funnel.id,
        name=funnel.name,
        slug=funnel.slug,
        description=funnel.description,
        niche=funnel.niche,
        is_active=funnel.is_active,
        settings=funnel.settings,
        domain_id=funnel.domain_id,
        step_count=step_count,
        created_at=funnel.created_at,
        updated_at=funnel.updated_at,
    )


def funnel_detail(
    funnel: Funnel, steps: list[FunnelStep], *, organization_slug: str
) -> schemas.FunnelDetail:
    return schemas.FunnelDetail(
        **funnel_view(funnel, step_count=len(steps)).model_dump(),
        steps=[
            step_view(step, funnel_slug=funnel.slug, organization_slug=organization_slug)
            for step in steps
        ],
    )
