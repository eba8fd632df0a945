"""Routes of the funnels (seed 002 `/api/funnels…`, `/api/checkout…`,
`/api/tracking/pixels…`)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.responses import HTMLResponse

from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES, PermissionDenied
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.funnels.builder import schemas
from rastro.funnels.builder.permissions import FUNNELS_SCRIPTS, Read, Write
from rastro.funnels.builder.public.views import preview_page
from rastro.funnels.builder.service import checkout, funnels, pages, pixels, steps

_Responses = dict[int | str, dict[str, Any]]
_NOT_FOUND: _Responses = {404: {"description": "No such funnel (or step) in this organization"}}
_CONFLICT: _Responses = {409: {"description": "The slug is in use (`slug_taken`)"}}
_HTML: _Responses = {
    200: {
        "description": "The page, sandboxed",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}

router = APIRouter(
    prefix="/api/funnels",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["funnels"],
)


@router.get("", response_model=Page[schemas.Funnel])
async def list_funnels(
    _: Read, session: CrmSession, params: Pagination, is_active: bool | None = None
) -> Page[schemas.Funnel]:
    """The organization's funnels, newest first."""
    rows, total = await funnels.list_funnels(session, params, is_active=is_active)
    return Page.of(rows, total, params)


@router.post(
    "",
    response_model=schemas.FunnelDetail,
    status_code=status.HTTP_201_CREATED,
    responses=_CONFLICT,
)
async def create_funnel(
    body: schemas.FunnelCreate, principal: Write, session: CrmSession
) -> schemas.FunnelDetail:
    """Create a funnel (its steps are added next)."""
    return await funnels.create_funnel(session, body=body, created_by=principal.user_id)


@router.get("/{funnel_id}", response_model=schemas.FunnelDetail, responses=_NOT_FOUND)
async def get_funnel(funnel_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.FunnelDetail:
    """A funnel with its steps in order."""
    return await funnels.get_funnel(session, funnel_id)


@router.put(
    "/{funnel_id}",
    response_model=schemas.FunnelDetail,
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def update_funnel(
    funnel_id: uuid.UUID, body: schemas.FunnelUpdate, _: Write, session: CrmSession
) -> schemas.FunnelDetail:
    """Change a funnel's name, slug, description, niche, state, settings or domain."""
    return await funnels.update_funnel(
        session, funnel_id, changes=body.model_dump(exclude_unset=True)
    )


@router.delete("/{funnel_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND)
async def delete_funnel(funnel_id: uuid.UUID, _: Write, session: CrmSession) -> Response:
    """Delete a funnel with its steps, checkout configs and pixels (payments stay)."""
    await funnels.delete_funnel(session, funnel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{funnel_id}/clone",
    response_model=schemas.FunnelDetail,
    status_code=status.HTTP_201_CREATED,
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def clone_funnel(
    funnel_id: uuid.UUID,
    principal: Write,
    session: CrmSession,
    body: schemas.FunnelClone | None = None,
) -> schemas.FunnelDetail:
    """Copy a funnel with its steps, checkout configs and pixels (the copy is inactive)."""
    return await funnels.clone_funnel(
        session, funnel_id, body=body or schemas.FunnelClone(), created_by=principal.user_id
    )


# --- steps -----------------------------------------------------------------------------------


@router.get("/{funnel_id}/steps", response_model=list[schemas.Step], responses=_NOT_FOUND)
async def list_steps(funnel_id: uuid.UUID, _: Read, session: CrmSession) -> list[schemas.Step]:
    """The funnel's steps in order."""
    return await steps.list_steps(session, funnel_id)


@router.post(
    "/{funnel_id}/steps",
    response_model=schemas.Step,
    status_code=status.HTTP_201_CREATED,
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def create_step(
    funnel_id: uuid.UUID, body: schemas.StepCreate, _: Write, session: CrmSession
) -> schemas.Step:
    """Add a step; its settings and content are validated for its type."""
    return await steps.create_step(session, funnel_id, body=body)


# Declared before `/{step_id}`: "reorder" is not a step id.
@router.put(
    "/{funnel_id}/steps/reorder",
    response_model=list[schemas.Step],
    responses={
        **_NOT_FOUND,
        422: {"description": "Not exactly the funnel's steps (`reorder_mismatch`)"},
    },
)
async def reorder_steps(
    funnel_id: uuid.UUID, body: schemas.StepsReorder, _: Write, session: CrmSession
) -> list[schemas.Step]:
    """Put every step of the funnel in a new order, at once."""
    return await steps.reorder_steps(session, funnel_id, step_ids=body.step_ids)


@router.put(
    "/{funnel_id}/steps/{step_id}",
    response_model=schemas.Step,
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def update_step(
    funnel_id: uuid.UUID,
    step_id: uuid.UUID,
    body: schemas.StepUpdate,
    _: Write,
    session: CrmSession,
) -> schemas.Step:
    """Change a step (settings and content are replaced whole, validated for its type)."""
    return await steps.update_step(session, funnel_id, step_id, body=body)


@router.delete(
    "/{funnel_id}/steps/{step_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND
)
async def delete_step(
    funnel_id: uuid.UUID, step_id: uuid.UUID, _: Write, session: CrmSession
) -> Response:
    """Delete a step with its checkout config and pixels."""
    await steps.delete_step(session, funnel_id, step_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{funnel_id}/steps/{step_id}/preview",
    response_class=HTMLResponse,
    responses={**_HTML, **_NOT_FOUND},
)
async def preview_step(
    funnel_id: uuid.UUID,
    step_id: uuid.UUID,
    body: schemas.StepPreview,
    _: Read,
    session: CrmSession,
) -> HTMLResponse:
    """The step's public page with these settings and content (nothing saved)."""
    step, base = await pages.preview_step(
        session, funnel_id, step_id, settings=body.settings, content=body.content
    )
    return preview_page(step, base)


# --- checkout configs ------------------------------------------------------------------------

checkout_router = APIRouter(
    prefix="/api/checkout",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["funnels"],
)


@checkout_router.get(
    "/{funnel_id}/{step_id}", response_model=schemas.CheckoutConfig, responses=_NOT_FOUND
)
async def get_checkout_config(
    funnel_id: uuid.UUID, step_id: uuid.UUID, _: Read, session: CrmSession
) -> schemas.CheckoutConfig:
    """The offer of a checkout, upsell or downsell step."""
    return await checkout.get_checkout_config(session, funnel_id, step_id)


@checkout_router.put(
    "/{funnel_id}/{step_id}",
    response_model=schemas.CheckoutConfig,
    responses={**_NOT_FOUND, 201: {"description": "Created", "model": schemas.CheckoutConfig}},
)
async def put_checkout_config(
    funnel_id: uuid.UUID,
    step_id: uuid.UUID,
    body: schemas.CheckoutConfigIn,
    response: Response,
    _: Write,
    session: CrmSession,
) -> schemas.CheckoutConfig:
    """Write a step's offer: product, price (> 0, two decimals), currency, methods."""
    config, created = await checkout.put_checkout_config(session, funnel_id, step_id, body=body)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return config


@checkout_router.post(
    "/{funnel_id}/{step_id}/preview",
    response_class=HTMLResponse,
    responses={**_HTML, **_NOT_FOUND},
)
async def preview_checkout(
    funnel_id: uuid.UUID,
    step_id: uuid.UUID,
    body: schemas.CheckoutConfigIn,
    _: Read,
    session: CrmSession,
) -> HTMLResponse:
    """The checkout page a buyer will see with this offer (nothing saved)."""
    step, base = await pages.preview_step(
        session,
        funnel_id,
        step_id,
        offer=pages.offer_of(
            "checkout",  # the step's own type applies in preview_step
            product_name=body.product_name,
            price=body.product_price,
            currency=body.currency,
            **body.model_dump(
                mode="json", include={"fields_config", "design_config", "upsell_config"}
            ),
        ),
    )
    return preview_page(step, base)


# --- tracking pixels -------------------------------------------------------------------------

pixels_router = APIRouter(
    prefix="/api/tracking/pixels",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["funnels"],
)
_PIXEL_NOT_FOUND: _Responses = {404: {"description": "No such pixel in this organization"}}


@pixels_router.get("", response_model=Page[schemas.Pixel])
async def list_pixels(
    _: Read,
    session: CrmSession,
    params: Pagination,
    funnel_id: uuid.UUID | None = None,
    step_id: uuid.UUID | None = None,
) -> Page[schemas.Pixel]:
    """The funnels' pixels, optionally of one funnel or step."""
    rows, total = await pixels.list_pixels(session, params, funnel_id=funnel_id, step_id=step_id)
    return Page.of(rows, total, params)


@pixels_router.post("", response_model=schemas.Pixel, status_code=status.HTTP_201_CREATED)
async def create_pixel(
    body: schemas.PixelCreate, principal: Write, session: CrmSession
) -> schemas.Pixel:
    """Put a Meta, Google, TikTok or custom pixel on a funnel's pages (or one step's)."""
    if body.pixel_type == "custom" and not principal.can(FUNNELS_SCRIPTS):
        raise PermissionDenied(
            "Custom snippets need the funnels:scripts permission.",
            details={"permission": FUNNELS_SCRIPTS},
        )
    return await pixels.create_pixel(session, body=body)


@pixels_router.put("/{pixel_id}", response_model=schemas.Pixel, responses=_PIXEL_NOT_FOUND)
async def update_pixel(
    pixel_id: uuid.UUID, body: schemas.PixelUpdate, principal: Write, session: CrmSession
) -> schemas.Pixel:
    """Change a pixel's id, event, snippet, step or state."""
    changes = body.model_dump(exclude_unset=True)
    if "snippet" in changes and not principal.can(FUNNELS_SCRIPTS):
        raise PermissionDenied(
            "Custom snippets need the funnels:scripts permission.",
            details={"permission": FUNNELS_SCRIPTS},
        )
    return await pixels.update_pixel(session, pixel_id, changes=changes)


@pixels_router.delete(
    "/{pixel_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_PIXEL_NOT_FOUND
)
async def delete_pixel(pixel_id: uuid.UUID, _: Write, session: CrmSession) -> Response:
    """Remove a pixel."""
    await pixels.delete_pixel(session, pixel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
