"""The public step pages: `/f/{organization_slug}/{funnel_slug}/{step_slug}` on Rastro's
own host, and `/f/{funnel_slug}/{step_slug}` on a host that is one of the organization's
tracked domains. Server-rendered (`views.py`, `render.py`), with the tracker and the funnel's
pixels; the forms are `forms.py`.

What each step does with its form (POST, then a redirect: the page can be reloaded):

* capture — a lead through the CRM's capture, with the tracker's hidden fields (session,
  visitor, UTMs, click ids); the form's token is the capture's idempotency key, so a
  double submit is one lead; then the next step;
* checkout — a PIX charge through the payments service (the organization's gateway or
  its static PIX), the token its idempotency key; then the same page with
  `?payment=<id>` shows the QR code and follows the payment (`/f/_status/{id}`) to the
  next step once it is paid;
* upsell / downsell — after a paid payment (`?payment=<id>`), accept: a new charge for the
  buyer of that payment (one per payment and offer), shown like a checkout's; decline:
  the decline step;
* thank you — the end; a page reached with a paid payment fires the pixels' Purchase
  with the payment's event id (`purchase-<payment id>`), the id the server-side
  conversion sends, so the ad platforms count the sale once.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope, set_scope
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import NotFound, error_body
from rastro.core.session import TransactionalRoute
from rastro.funnels.builder.public import page_cache, resume
from rastro.funnels.builder.public.forms import submit, submit_checkout_start
from rastro.funnels.builder.public.views import (
    Place,
    message,
    not_found,
    page,
    paid,
    payment_of,
    pix_page,
    redirect,
)
from rastro.funnels.builder.service import pages

Segment = Annotated[str, Path(min_length=1, max_length=100)]

# The pages are HTML for buyers, left out of the API's schema; the forms' POSTs are in
# it for their limits (429).
router = APIRouter(route_class=TransactionalRoute, tags=["public funnel pages"])
# A form post to an address with no published step: the 404 page (HTML) ...
_NO_PAGE: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "No published funnel step here: the 404 page",
        "content": {"text/html": {}},
    }
}
# ... and the checkout contact's beacon: no body.
_NO_STEP: dict[int | str, dict[str, Any]] = {
    404: {"description": "No published checkout step here (no body)"}
}
_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many requests from this IP address this hour (Retry-After); "
        "the forms answer with an HTML page",
        "content": {
            "application/json": {
                "example": error_body(
                    "too_many_requests", "Too many requests from this address; try again later."
                )
            }
        },
    },
}


async def _place(
    request: Request,
    session: AsyncSession,
    organization_slug: str | None,
    funnel_slug: str,
    step_slug: str,
) -> Place:
    organization_id = await pages.find_organization(
        session,
        organization_slug=organization_slug,
        host=request.headers.get("host") if organization_slug is None else None,
    )
    if organization_id is None:
        raise NotFound("Page not found.")
    await set_scope(session, Scope.organization(organization_id))
    step = await pages.get_public_step(
        session,
        funnel_slug=funnel_slug,
        step_slug=step_slug,
        cached=request.app.state.settings.funnel_page_cache,
    )
    base = f"/f/{organization_slug}/{funnel_slug}" if organization_slug else f"/f/{funnel_slug}"
    return Place(step, base, str(request.base_url).rstrip("/"))


async def _show(request: Request, session: AsyncSession, place: Place) -> Response:
    step = place.step
    payment = await payment_of(session, place, request.query_params.get("payment"))
    kind = step.step_type
    own = payment is not None and payment.step_id == step.step_id
    if kind in ("checkout", "upsell", "downsell") and own:  # this step's own charge
        if payment.status == "pending":
            return pix_page(place, payment)
        if payment.status == "paid":
            target = step.next_slug if kind == "checkout" else step.accept_slug
            return redirect(place.url(target, payment.id), place)
        payment = await payment_of(session, place, str(payment.parent_payment_id or ""))
        if kind == "checkout":
            return page(
                "checkout",
                place,
                errors=["O PIX expirou ou foi cancelado. Gere um novo para continuar."],
            )
    if kind == "checkout":
        if step.offer is None:
            return message(place, "Este checkout ainda não está disponível.", 503)
        resume_token = request.query_params.get("resume")
        if resume_token:  # a recovery's resume link: the checkout pre-filled
            reopened = await resume.resumed(request, session, place, resume_token)
            if not isinstance(reopened, resume.ResumeTarget):
                return resume.link_error(reopened)
            place.resume = resume_token
            return page("checkout", place, values=reopened.values)
        return page("checkout", place, purchase=paid(payment))
    if kind in ("upsell", "downsell"):
        if step.offer is None or paid(payment) is None:
            # A one-click offer follows a paid purchase; without one, move on.
            return redirect(place.url(step.decline_slug), place)
        return page("offer", place, purchase=payment, parent_payment_id=payment.id)
    if kind == "thankyou":
        return page("thankyou", place, purchase=paid(payment), paid=paid(payment) is not None)
    return page(kind, place, purchase=paid(payment))


@router.get("/f/_status/{payment_id}", include_in_schema=False)
async def payment_status(payment_id: uuid.UUID, session: CrmSession) -> JSONResponse:
    """A funnel payment's status, polled by its PIX page."""
    status = await pages.payment_status(session, payment_id)
    if status is None:
        raise NotFound("Payment not found.")
    return JSONResponse({"status": status}, headers={"cache-control": "no-store"})


@router.get("/f/_resume/{token}", include_in_schema=False)
async def resume_checkout(
    request: Request, token: Annotated[str, Path(max_length=200)], session: CrmSession
) -> Response:
    """A recovery's resume link: the pending PIX, else the checkout pre-filled."""
    return await resume.open_link(request, session, token)


async def _started(
    request: Request, session: AsyncSession, slugs: tuple[str | None, str, str]
) -> Response:
    try:
        place = await _place(request, session, *slugs)
    except NotFound:
        return Response(status_code=404)
    return await submit_checkout_start(request, session, place)


@router.post(
    "/f/_started/{organization_slug}/{funnel_slug}/{step_slug}",
    status_code=204,
    responses={**_LIMITED, **_NO_STEP},
)
async def checkout_started(
    request: Request,
    organization_slug: Segment,
    funnel_slug: Segment,
    step_slug: Segment,
    session: CrmSession,
) -> Response:
    """A checkout's contact as the buyer types it (the recovery's abandoned checkouts);
    limited per IP address an hour (429)."""
    return await _started(request, session, (organization_slug, funnel_slug, step_slug))


@router.post(
    "/f/_started/{funnel_slug}/{step_slug}",
    status_code=204,
    responses={**_LIMITED, **_NO_STEP},
)
async def checkout_started_on_domain(
    request: Request, funnel_slug: Segment, step_slug: Segment, session: CrmSession
) -> Response:
    """The same, on the organization's own domain."""
    return await _started(request, session, (None, funnel_slug, step_slug))


async def _page(
    request: Request,
    session: AsyncSession,
    bi: AsyncSession | None,
    slugs: tuple[str | None, str, str],
) -> Response:
    """A step's page (GET, `bi` None) or its form (POST), or the 404 page.

    A GET writes nothing: the tracker's page view of the page puts the session on the
    step (`funnels.monitor.service.live.place_visitor`, seed 002 `funnel_id` /
    `current_step_id`), with the step it came from for the live monitor."""
    read_generation = page_cache.generation()  # before anything is read
    try:
        place = await _place(request, session, *slugs)
    except NotFound:
        return not_found()
    if bi is not None:
        return await submit(request, session, bi, place)
    if request.app.state.settings.funnel_page_cache and page_cache.cacheable(request.scope):
        return await _kept_page(request, session, place, read_generation)
    return await _show(request, session, place)


async def _kept_page(
    request: Request, session: AsyncSession, place: Place, read_generation: int
) -> Response:
    """The page as this process keeps it (`page_cache`): the kept bytes when the step
    read now is the one they were made from, else rendered and kept."""
    key = page_cache.key_of(request.scope)
    kept = page_cache.refresh(key, place.step, read_generation)
    if kept is not None:
        body = page_cache.body_of(kept, page_cache.new_token())
        response = Response(body, status_code=kept.status)
        response.raw_headers = [*kept.headers, (b"content-length", str(len(body)).encode())]
        return response
    # Rendered with a random token that marks where each visit's own token goes; this
    # visit keeps it as its token.
    place.token = page_cache.new_token()
    response = await _show(request, session, place)
    if response.status_code in (200, 303):
        page_cache.store(
            key,
            read_generation=read_generation,
            step=place.step,
            status=response.status_code,
            headers=response.raw_headers,
            body=bytes(response.body),
            marker=place.token,
        )
    return response


@router.get(
    "/f/{organization_slug}/{funnel_slug}/{step_slug}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def show_step(
    request: Request,
    organization_slug: Segment,
    funnel_slug: Segment,
    step_slug: Segment,
    session: CrmSession,
) -> Response:
    """A step's public page on Rastro's host."""
    slugs = (organization_slug, funnel_slug, step_slug)
    return await _page(request, session, None, slugs)


@router.post(
    "/f/{organization_slug}/{funnel_slug}/{step_slug}",
    response_class=HTMLResponse,
    responses={**_LIMITED, **_NO_PAGE},
)
async def submit_step(
    request: Request,
    organization_slug: Segment,
    funnel_slug: Segment,
    step_slug: Segment,
    session: CrmSession,
    bi: BiSession,
) -> Response:
    """A step's form, on Rastro's host (checkout and offer forms that ask for a charge
    are limited per IP address an hour: a 429 page)."""
    slugs = (organization_slug, funnel_slug, step_slug)
    return await _page(request, session, bi, slugs)


@router.get("/f/{funnel_slug}/{step_slug}", response_class=HTMLResponse, include_in_schema=False)
async def show_step_on_domain(
    request: Request, funnel_slug: Segment, step_slug: Segment, session: CrmSession
) -> Response:
    """A step's public page on the organization's own domain (the `Host`)."""
    return await _page(request, session, None, (None, funnel_slug, step_slug))


@router.post(
    "/f/{funnel_slug}/{step_slug}",
    response_class=HTMLResponse,
    responses={**_LIMITED, **_NO_PAGE},
)
async def submit_step_on_domain(
    request: Request, funnel_slug: Segment, step_slug: Segment, session: CrmSession, bi: BiSession
) -> Response:
    """A step's form, on the organization's own domain."""
    return await _page(request, session, bi, (None, funnel_slug, step_slug))
