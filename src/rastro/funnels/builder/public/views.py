"""The public pages' views: where a request is (`Place`), a step's page rendered with its
pixels' configuration, the PIX page of a charge, the sandboxed preview, redirects, and the
funnel payment a `?payment=` names."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope, set_scope
from rastro.core.errors import NotFound
from rastro.funnels.builder.public import pixels, render
from rastro.funnels.builder.service import pages
from rastro.funnels.builder.steps import step_content, step_settings
from rastro.funnels.payments import brcode
from rastro.funnels.payments.service import payments
from rastro.tracking.service import funnel_steps
from rastro.tracking.service.conversions import TOUCH_FIELDS

TRACKING_FIELDS = ("rastro_session_id", "rastro_visitor_id", *TOUCH_FIELDS)
# A checkout's postal address fields (when its config asks for the address).
ADDRESS_FIELDS = ("zip", "state", "street", "number", "city")
PAGE_HEADERS = {"cache-control": "private, no-store", "x-content-type-options": "nosniff"}
PREVIEW_HEADERS = {**PAGE_HEADERS, "content-security-policy": "sandbox"}
SHOWN_TZ = ZoneInfo("America/Sao_Paulo")
VIDEO_ORIGINS = {
    "youtube": "https://www.youtube-nocookie.com",
    "vimeo": "https://player.vimeo.com",
}
NO_VALUES = {"name": "", "email": "", "phone": "", "document": ""}
TRACKER_SESSION_COOKIE = "_rastro_s"  # the tracker's session id (first-party, this host)


class Place:
    """Where a request is: the step, and the URL prefix it was reached by."""

    def __init__(self, step: pages.PublicStep, base: str, origin: str = "") -> None:
        self.step = step
        self.base = base
        self.origin = origin  # the page's scheme and host, for the video players' messages
        # A recovery's resume token, kept in the checkout's form (`builder.public.resume`).
        self.resume: str | None = None
        # The form token of the page (else a new one per page): a marker when the page is
        # rendered to be kept (`page_cache`).
        self.token: str | None = None

    def url(self, slug: str | None, payment_id: uuid.UUID | None = None) -> str | None:
        if slug is None:
            return None
        query = f"?{urlencode({'payment': str(payment_id)})}" if payment_id else ""
        return f"{self.base}/{slug}{query}"

    @property
    def here(self) -> str:
        return f"{self.base}/{self.step.step_slug}"


def tracker_session_id(session_id: str | None) -> str | None:
    """The tracker's session id from its cookie, when it looks like one."""
    if not session_id or len(session_id) > 80 or not session_id.isalnum():
        return None
    return session_id


async def visit(bi: AsyncSession, place: Place, session_id: str | None) -> None:
    """A form's submission: put the session it names on this step (seed 002
    `visitors.current_step_id`). A page's GET does not: the tracker's page view does."""
    checked = tracker_session_id(session_id)
    if checked is None:
        return
    await set_scope(bi, Scope.organization(place.step.organization_id))
    await funnel_steps.set_session_step(
        bi, session_id=checked, funnel_id=place.step.funnel_id, step_id=place.step.step_id
    )


def not_found() -> HTMLResponse:
    return HTMLResponse(render.render("notfound", {}), status_code=404, headers=PAGE_HEADERS)


def page(name: str, place: Place, status_code: int = 200, **context: Any) -> HTMLResponse:
    step = place.step
    token = context.pop("token", None) or place.token or uuid.uuid4().hex
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
    if step.step_type == "checkout" and name == "checkout":
        # The form's contact, sent as it is typed (the recovery's abandoned checkouts).
        config["started"] = place.here.replace("/f/", "/f/_started/", 1)
    video = step.content.get("video") if step.step_type == "vsl" else None
    if video and video.get("provider") in VIDEO_ORIGINS:
        # Play and progress (25/50/75/100 %) reach the tracker from the player's messages.
        config["video"] = {
            "provider": video["provider"],
            "origin": VIDEO_ORIGINS[video["provider"]],
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
            "resume": place.resume,
            "next_url": place.url(step.next_slug),
            "offer": step.offer,
            "errors": context.pop("errors", ()),
            "values": {
                "name": "",
                "email": "",
                "phone": "",
                "document": "",
                **dict.fromkeys(ADDRESS_FIELDS, ""),
                "order_bump": "",
                **context.pop("values", {}),
            },
            **context,
        },
    )
    return HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)


def message(place: Place, message: str, status_code: int) -> HTMLResponse:
    return page("message", place, status_code, message=message)


async def payment_of(session: AsyncSession, place: Place, raw: str | None) -> Any:
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


def paid(payment: Any) -> Any:
    return payment if payment is not None and payment.status == "paid" else None


def pix_page(place: Place, payment: Any) -> HTMLResponse:
    expires = payment.expires_at.astimezone(SHOWN_TZ) if payment.expires_at else None
    return page(
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


def redirect(url: str | None, place: Place) -> Response:
    return RedirectResponse(url or place.here, status_code=303, headers=PAGE_HEADERS)


def preview_page(step: pages.PublicStep, base: str) -> HTMLResponse:
    """The page a buyer would see on arriving at the step (no tracker, no pixels), served
    sandboxed: the dashboard shows it in a frame without scripts."""
    place = Place(step, base)
    kind = step.step_type
    if kind in ("checkout", "upsell", "downsell") and step.offer is None:
        response = message(place, "Este passo ainda não tem oferta (produto e preço).", 200)
    elif kind == "checkout":
        response = page("checkout", place)
    elif kind in ("upsell", "downsell"):
        response = page("offer", place, parent_payment_id="")
    elif kind == "thankyou":
        response = page("thankyou", place, paid=False)
    else:
        response = page(kind, place)
    response.headers.update(PREVIEW_HEADERS)
    return response
