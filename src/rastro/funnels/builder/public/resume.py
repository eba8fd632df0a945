"""The recovery's resume link on the public pages (`/f/_resume/{token}`): it reopens the
pending PIX while it can still be paid, else the checkout pre-filled with the buyer's
data and the token in a hidden field; the charge made from that form keeps the
checkout's original session and visitor (`rastro.funnels.recovery.service.resume`), so
the sale is credited to the original campaign. An altered link is 400, an expired one
410, each a page in pt-BR."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import NotFound
from rastro.funnels.builder.public import render
from rastro.funnels.builder.public.views import PAGE_HEADERS, Place
from rastro.funnels.builder.service import funnels, steps
from rastro.funnels.recovery.errors import InvalidResumeLink, ResumeLinkExpired
from rastro.funnels.recovery.service import resume
from rastro.funnels.recovery.service.resume import ResumeTarget

LinkError = InvalidResumeLink | ResumeLinkExpired
__all__ = ["LinkError", "ResumeTarget", "link_error", "open_link", "resumed"]


def link_error(error: LinkError) -> HTMLResponse:
    if isinstance(error, ResumeLinkExpired):
        heading, text = (
            "Link expirado",
            "Este link para retomar a compra expirou. Volte à página da oferta para "
            "fazer um novo pedido.",
        )
    else:
        heading, text = (
            "Link inválido",
            "Este link para retomar a compra não é válido. Confira se ele foi copiado por inteiro.",
        )
    body = render.render("link", {"heading": heading, "text": text})
    return HTMLResponse(body, status_code=error.status_code, headers=PAGE_HEADERS)


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.secret_key_value
    return secret


async def open_link(request: Request, session: AsyncSession, token: str) -> Response:
    """Where a resume link leads: the pending PIX, else the pre-filled checkout."""
    try:
        target = await resume.open_resume_link(session, secret=_secret(request), token=token)
        funnel = await funnels.get_funnel_row(session, target.funnel_id)
        step = await steps.get_step_row(session, target.funnel_id, target.step_id)
    except (InvalidResumeLink, ResumeLinkExpired) as error:
        return link_error(error)
    except NotFound:
        return link_error(InvalidResumeLink())
    path = f"/f/{await funnels.organization_slug(session)}/{funnel.slug}/{step.slug}"
    if target.pending_payment_id is not None:
        query = {"payment": str(target.pending_payment_id)}
    else:
        query = {"resume": token}
    return RedirectResponse(f"{path}?{urlencode(query)}", status_code=303, headers=PAGE_HEADERS)


async def resumed(
    request: Request, session: AsyncSession, place: Place, token: str
) -> ResumeTarget | LinkError:
    """The resume link's target when it belongs to this checkout step, else its error."""
    try:
        target = await resume.open_resume_link(
            session,
            secret=_secret(request),
            token=token,
            organization_id=place.step.organization_id,
        )
    except (InvalidResumeLink, ResumeLinkExpired) as error:
        return error
    if target.step_id != place.step.step_id:
        return InvalidResumeLink()
    return target
