"""The public step pages: `/f/{organization_slug}/{funnel_slug}/{step_slug}` on Rastro's
own host, and `/f/{funnel_slug}/{step_slug}` on a host that is one of the organization's
tracked domains. Server-rendered (`render.py`), with the tracker and the funnel's pixels.

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
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope, set_scope
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import NotFound, RastroError, UnprocessableEntity
from rastro.core.routing import read_body
from rastro.core.session import TransactionalRoute
from rastro.core.units import TransactionBoundary
from rastro.crm.service.capture import Submission, capture
from rastro.funnels.builder.public import pixels, render
from rastro.funnels.builder.service import pages
from rastro.funnels.builder.steps import step_content, step_settings
from rastro.funnels.payments import brcode
from rastro.funnels.payments.schemas import CustomerIn, PaymentCreate
from rastro.funnels.payments.service import payments
from rastro.tracking.service import funnel_steps
from rastro.tracking.service.conversions import TOUCH_FIELDS

log = structlog.get_logger(__name__)

MAX_FORM = 16 * 1024
TRACKING_FIELDS = ("rastro_session_id", "rastro_visitor_id", *TOUCH_FIELDS)
PAGE_HEADERS = {"cache-control": "private, no-store", "x-content-type-options": "nosniff"}
_SHOWN_TZ = ZoneInfo("America/Sao_Paulo")
# The buyer's form fields and what to tell them (pt-BR: the pages are the buyer's).
_FIELD_MESSAGES = {
    "name": "Informe seu nome.",
    "email": "Informe um e-mail válido.",
    "phone": "Informe um telefone válido, com DDD.",
    "document": "Informe um CPF ou CNPJ válido.",
}
_VIDEO_ORIGINS = {
    "youtube": "https://www.youtube-nocookie.com",
    "vimeo": "https://player.vimeo.com",
}
_NO_VALUES = {"name": "", "email": "", "phone": "", "document": ""}
TRACKER_SESSION_COOKIE = "_rastro_s"  # the tracker's session id (first-party, this host)
Segment = Annotated[str, Path(min_length=1, max_length=100)]

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


class Place:
    """Where a request is: the step, and the URL prefix it was reached by."""

    def __init__(self, step: pages.PublicStep, base: str, origin: str = "") -> None:
        self.step = step
        self.base = base
        self.origin = origin  # the page's scheme and host, for the video players' messages

    def url(self, slug: str | None, payment_id: uuid.UUID | None = None) -> str | None:
        if slug is None:
            return None
        query = f"?{urlencode({'payment': str(payment_id)})}" if payment_id else ""
        return f"{self.base}/{slug}{query}"

    @property
    def here(self) -> str:
        return f"{self.base}/{self.step.step_slug}"


async def _visit(bi: AsyncSession, place: Place, session_id: str | None) -> None:
    """Put the tracked session on this step (seed 002 `visitors.current_step_id`)."""
    if not session_id or len(session_id) > 80 or not session_id.isalnum():
        return
    await set_scope(bi, Scope.organization(place.step.organization_id))
    await funnel_steps.set_session_step(
        bi, session_id=session_id, funnel_id=place.step.funnel_id, step_id=place.step.step_id
    )


def _not_found() -> HTMLResponse:
    return HTMLResponse(render.render("notfound", {}), status_code=404, headers=PAGE_HEADERS)


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
    step = await pages.get_public_step(session, funnel_slug=funnel_slug, step_slug=step_slug)
    base = f"/f/{organization_slug}/{funnel_slug}" if organization_slug else f"/f/{funnel_slug}"
    return Place(step, base, str(request.base_url).rstrip("/"))


def _page(name: str, place: Place, status_code: int = 200, **context: Any) -> HTMLResponse:
    step = place.step
    token = context.pop("token", None) or uuid.uuid4().hex
    purchase = context.pop("purchase", None)
    poll = context.pop("poll", None)
    config = pixels.page_config(
        step.pixels,
        token=token,
        step_type=step.step_type,
        purchase=purchase,
        require_consent=step.require_consent,
    )
    if poll is not None:
        config["poll"] = poll
    video = step.content.get("video") if step.step_type == "vsl" else None
    if video and video.get("provider") in _VIDEO_ORIGINS:
        # Play and progress (25/50/75/100 %) reach the tracker from the player's messages.
        config["video"] = {
            "provider": video["provider"],
            "origin": _VIDEO_ORIGINS[video["provider"]],
            "label": video.get("video_id") or video.get("url"),
        }
    elif video:
        config["video"] = {"provider": "file", "origin": None, "label": video.get("url")}
    body = render.render(
        name,
        {
            "title": step.content.get("headline") or step.funnel_name,
            "content": step_content(step.step_type, step.content),
            "settings": step_settings(step.step_type, step.settings),
            "tracker": step.tracker,
            "require_consent": step.require_consent,
            "custom_snippets": [
                Markup(p.snippet)  # noqa: S704  (managers' code, placed as written)
                for p in step.pixels
                if p.pixel_type == "custom" and p.snippet
            ],
            "page_config": config,
            "page_origin": place.origin,
            "token": token,
            "tracking_fields": TRACKING_FIELDS,
            "action": place.here,
            "next_url": place.url(step.next_slug),
            "offer": step.offer,
            "errors": context.pop("errors", ()),
            "values": {
                "name": "",
                "email": "",
                "phone": "",
                "document": "",
                **context.pop("values", {}),
            },
            **context,
        },
    )
    return HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)


def _message(place: Place, message: str, status_code: int) -> HTMLResponse:
    return _page("message", place, status_code, message=message)


async def _payment_of(session: AsyncSession, place: Place, raw: str | None) -> Any:
    """The funnel's payment a `?payment=` names (None for anything else)."""
    if not raw:
        return None
    try:
        payment_id = uuid.UUID(raw)
    except ValueError:
        return None
    try:
        payment = await payments.get_payment(session, payment_id)
    except NotFound:
        return None
    return payment if payment.funnel_id == place.step.funnel_id else None


def _purchase(payment: Any) -> Any:
    return payment if payment is not None and payment.status == "paid" else None


def _pix_page(place: Place, payment: Any) -> HTMLResponse:
    expires = payment.expires_at.astimezone(_SHOWN_TZ) if payment.expires_at else None
    return _page(
        "pix",
        place,
        payment=payment,
        qr_svg=Markup(brcode.qr_svg(payment.pix_copy_paste))  # noqa: S704  (segno's SVG)
        if payment.pix_copy_paste
        else None,
        expires_text=expires.strftime("%d/%m/%Y às %H:%M") if expires else "",
        poll={
            "url": f"/f/_status/{payment.id}",
            "next": place.url(
                place.step.next_slug
                if place.step.step_type == "checkout"
                else place.step.accept_slug,
                payment.id,
            ),
        },
    )


def _redirect(url: str | None, place: Place) -> Response:
    return RedirectResponse(url or place.here, status_code=303, headers=PAGE_HEADERS)


async def _show(request: Request, session: AsyncSession, place: Place) -> Response:
    step = place.step
    payment = await _payment_of(session, place, request.query_params.get("payment"))
    kind = step.step_type
    own = payment is not None and payment.step_id == step.step_id
    if kind in ("checkout", "upsell", "downsell") and own:  # this step's own charge
        if payment.status == "pending":
            return _pix_page(place, payment)
        if payment.status == "paid":
            target = step.next_slug if kind == "checkout" else step.accept_slug
            return _redirect(place.url(target, payment.id), place)
        payment = await _payment_of(session, place, str(payment.parent_payment_id or ""))
        if kind == "checkout":
            return _page(
                "checkout",
                place,
                errors=["O PIX expirou ou foi cancelado. Gere um novo para continuar."],
            )
    if kind == "checkout":
        if step.offer is None:
            return _message(place, "Este checkout ainda não está disponível.", 503)
        return _page("checkout", place, purchase=_purchase(payment))
    if kind in ("upsell", "downsell"):
        if step.offer is None or _purchase(payment) is None:
            # A one-click offer follows a paid purchase; without one, move on.
            return _redirect(place.url(step.decline_slug), place)
        return _page("offer", place, purchase=payment, parent_payment_id=payment.id)
    if kind == "thankyou":
        return _page(
            "thankyou", place, purchase=_purchase(payment), paid=_purchase(payment) is not None
        )
    return _page(kind, place, purchase=_purchase(payment))


async def _form(request: Request) -> dict[str, str]:
    raw = await read_body(request, MAX_FORM, "A form is at most 16 KB.")
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    form: dict[str, str] = {}
    for key, value in pairs:
        if len(key) <= 50 and len(value) <= 2000 and "\x00" not in value:
            form.setdefault(key, value.strip())
    return form


def _token(form: dict[str, str]) -> str:
    token = form.get("token", "")
    return token if token.isalnum() and 16 <= len(token) <= 64 else uuid.uuid4().hex


async def _submit_capture(request: Request, place: Place, form: dict[str, str]) -> Response:
    step = place.step
    token = _token(form)
    values = {k: form.get(k, "") for k in ("name", "email", "phone")}
    databases = request.app.state.databases
    submission = Submission(
        name=values["name"][:255] or None,
        email=values["email"][:320] or None,
        phone=values["phone"][:40] or None,
        session_id=form.get("rastro_session_id", "")[:80] or None,
        visitor_id=form.get("rastro_visitor_id", "")[:64] or None,
        form_location=f"funnel {step.funnel_id} step {step.step_id}",
        idempotency_key=f"funnel-form:{token}",
        attribution={f: form[f][:255] for f in TOUCH_FIELDS if form.get(f)},
        fields={
            "funnel_id": str(step.funnel_id),
            "step_id": str(step.step_id),
            "lead_event_id": pixels.lead_event_id(token),
        },
    )
    try:
        lead = await capture(
            TransactionBoundary(databases.crm),
            TransactionBoundary(databases.bi),
            step.organization_id,
            submission,
            domain_id=step.domain_id,
        )
    except UnprocessableEntity as error:
        return _page(
            "capture", place, 422, token=token, values=values, errors=_messages(error.details)
        )
    live = getattr(request.app.state, "live", None)
    if live is not None and not lead.duplicate:  # committed by the capture
        await live.publish(step.organization_id, "lead_created", {"lead_id": str(lead.lead_id)})
    return _redirect(place.url(step.next_slug), place)


def _messages(details: Any) -> list[str]:
    """The buyer's field errors in pt-BR (pydantic's and the services' `loc`s)."""
    messages: list[str] = []
    for detail in details if isinstance(details, list) else []:
        field = str(detail.get("loc", "")).rsplit(".", 1)[-1]
        message = _FIELD_MESSAGES.get(field, "Confira os dados informados.")
        if message not in messages:
            messages.append(message)
    return messages or ["Confira os dados informados."]


async def _charge(
    request: Request,
    session: AsyncSession,
    place: Place,
    *,
    body: PaymentCreate,
    on_error: str,
    **context: Any,
) -> Response:
    """Create the charge and show it; a refusal or an unavailable gateway shows the page
    again with a message (and nothing stored: the answer is an error status)."""
    try:
        created = await payments.create_payment(
            session,
            request.app.state.keyring,
            body=body,
            idempotency_key=None,
            webhook_base_url=str(request.base_url).rstrip("/"),
        )
    except RastroError as error:
        log.info("funnels.charge_refused", step_id=str(place.step.step_id), code=error.code)
        status = error.status_code if error.status_code >= 400 else 422
        message = (
            "O pagamento está indisponível no momento. Tente novamente em instantes."
            if status >= 500
            else "Não foi possível gerar o PIX. Confira os dados ou tente mais tarde."
        )
        return _page(on_error, place, status, errors=[message], **context)
    return _redirect(place.url(place.step.step_slug, created.payment.id), place)


async def _submit_checkout(
    request: Request, session: AsyncSession, place: Place, form: dict[str, str]
) -> Response:
    step = place.step
    if step.offer is None:
        return _message(place, "Este checkout ainda não está disponível.", 503)
    token = _token(form)
    values = {k: form.get(k, "") for k in ("name", "email", "phone", "document")}
    settings = step_settings(step.step_type, step.settings)
    missing = [k for k in ("name", "email") if not values[k]]
    if settings.collect_document and not values["document"]:
        missing.append("document")
    try:
        if missing:
            raise UnprocessableEntity(details=[{"loc": k} for k in missing])
        try:
            customer = CustomerIn.model_validate({k: v for k, v in values.items() if v})
            body = PaymentCreate(
                amount=step.offer.price,
                currency="BRL",
                product_name=step.offer.product_name,
                customer=customer,
                expires_in=settings.pix_expires_minutes * 60,
                funnel_id=step.funnel_id,
                step_id=step.step_id,
                session_id=form.get("rastro_session_id", "")[:64] or None,
                visitor_id=form.get("rastro_visitor_id", "")[:64] or None,
                idempotency_key=f"funnel-checkout:{token}",
            )
        except ValidationError as error:
            raise UnprocessableEntity(
                details=[{"loc": ".".join(map(str, e["loc"]))} for e in error.errors()]
            ) from None
    except UnprocessableEntity as error:
        return _page(
            "checkout", place, 422, token=token, values=values, errors=_messages(error.details)
        )
    return await _charge(
        request, session, place, body=body, on_error="checkout", token=token, values=values
    )


async def _submit_offer(
    request: Request, session: AsyncSession, place: Place, form: dict[str, str]
) -> Response:
    step = place.step
    parent = _purchase(await _payment_of(session, place, form.get("payment")))
    if form.get("action") == "decline" or parent is None or step.offer is None:
        return _redirect(place.url(step.decline_slug, parent.id if parent else None), place)
    settings = step_settings(step.step_type, step.settings)
    body = PaymentCreate(
        amount=step.offer.price,
        currency="BRL",
        product_name=step.offer.product_name,
        customer=CustomerIn.model_validate(parent.customer_data or {}),
        expires_in=settings.pix_expires_minutes * 60,
        funnel_id=step.funnel_id,
        step_id=step.step_id,
        session_id=parent.session_id,
        visitor_id=parent.visitor_id,
        parent_payment_id=parent.id,
        # One charge per purchase and offer, however often "accept" is pressed.
        idempotency_key=f"funnel-offer:{parent.id}:{step.step_id}",
    )
    return await _charge(
        request,
        session,
        place,
        body=body,
        on_error="offer",
        purchase=parent,
        parent_payment_id=parent.id,
    )


async def _submit(
    request: Request, session: AsyncSession, bi: AsyncSession, place: Place
) -> Response:
    form = await _form(request)
    await _visit(
        bi,
        place,
        form.get("rastro_session_id") or request.cookies.get(TRACKER_SESSION_COOKIE),
    )
    kind = place.step.step_type
    if kind == "capture":
        return await _submit_capture(request, place, form)
    if kind == "checkout":
        return await _submit_checkout(request, session, place, form)
    if kind in ("upsell", "downsell"):
        return await _submit_offer(request, session, place, form)
    return _redirect(place.url(place.step.next_slug), place)


# Declared first: `_status` is no funnel slug (slugs start with a letter or digit).
@router.get("/f/_status/{payment_id}")
async def payment_status(payment_id: uuid.UUID, session: CrmSession) -> JSONResponse:
    """A funnel payment's status, polled by its PIX page."""
    status = await pages.payment_status(session, payment_id)
    if status is None:
        raise NotFound("Payment not found.")
    return JSONResponse({"status": status}, headers={"cache-control": "no-store"})


@router.get("/f/{organization_slug}/{funnel_slug}/{step_slug}", response_class=HTMLResponse)
async def show_step(
    request: Request,
    organization_slug: Segment,
    funnel_slug: Segment,
    step_slug: Segment,
    session: CrmSession,
    bi: BiSession,
) -> Response:
    """A step's public page on Rastro's host."""
    try:
        place = await _place(request, session, organization_slug, funnel_slug, step_slug)
    except NotFound:
        return _not_found()
    await _visit(bi, place, request.cookies.get(TRACKER_SESSION_COOKIE))
    return await _show(request, session, place)


@router.post("/f/{organization_slug}/{funnel_slug}/{step_slug}", response_class=HTMLResponse)
async def submit_step(
    request: Request,
    organization_slug: Segment,
    funnel_slug: Segment,
    step_slug: Segment,
    session: CrmSession,
    bi: BiSession,
) -> Response:
    """A step's form, on Rastro's host."""
    try:
        place = await _place(request, session, organization_slug, funnel_slug, step_slug)
    except NotFound:
        return _not_found()
    return await _submit(request, session, bi, place)


@router.get("/f/{funnel_slug}/{step_slug}", response_class=HTMLResponse)
async def show_step_on_domain(
    request: Request,
    funnel_slug: Segment,
    step_slug: Segment,
    session: CrmSession,
    bi: BiSession,
) -> Response:
    """A step's public page on the organization's own domain (the `Host`)."""
    try:
        place = await _place(request, session, None, funnel_slug, step_slug)
    except NotFound:
        return _not_found()
    await _visit(bi, place, request.cookies.get(TRACKER_SESSION_COOKIE))
    return await _show(request, session, place)


@router.post("/f/{funnel_slug}/{step_slug}", response_class=HTMLResponse)
async def submit_step_on_domain(
    request: Request,
    funnel_slug: Segment,
    step_slug: Segment,
    session: CrmSession,
    bi: BiSession,
) -> Response:
    """A step's form, on the organization's own domain."""
    try:
        place = await _place(request, session, None, funnel_slug, step_slug)
    except NotFound:
        return _not_found()
    return await _submit(request, session, bi, place)


PREVIEW_HEADERS = {**PAGE_HEADERS, "content-security-policy": "sandbox"}


def preview_page(step: pages.PublicStep, base: str) -> HTMLResponse:
    """The page a buyer would see on arriving at the step (no tracker, no pixels), served
    sandboxed: the dashboard shows it in a frame without scripts."""
    place = Place(step, base)
    kind = step.step_type
    if kind in ("checkout", "upsell", "downsell") and step.offer is None:
        response = _message(place, "Este passo ainda não tem oferta (produto e preço).", 200)
    elif kind == "checkout":
        response = _page("checkout", place)
    elif kind in ("upsell", "downsell"):
        response = _page("offer", place, parent_payment_id="")
    elif kind == "thankyou":
        response = _page("thankyou", place, paid=False)
    else:
        response = _page(kind, place)
    response.headers.update(PREVIEW_HEADERS)
    return response
