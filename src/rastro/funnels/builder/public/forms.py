"""The public pages' forms (POST): a capture's lead, a checkout's PIX charge, an offer's
accept or decline; each answers with a redirect (the page can be reloaded), or the page
again with the buyer's errors in pt-BR."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import structlog
from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core import rate_limits
from rastro.core.errors import BadRequest, NotFound, RastroError, UnprocessableEntity
from rastro.core.rate_limits import TooManyRequests
from rastro.core.routing import read_body
from rastro.core.units import TransactionBoundary
from rastro.crm.service.capture import Submission, capture
from rastro.funnels.builder.public import pixels
from rastro.funnels.builder.public.resume import ResumeTarget, link_error, resumed
from rastro.funnels.builder.public.views import (
    ADDRESS_FIELDS,
    TRACKER_SESSION_COOKIE,
    Place,
    message,
    page,
    paid,
    payment_of,
    redirect,
    visit,
)
from rastro.funnels.builder.steps import step_settings
from rastro.funnels.payments.schemas import CustomerIn, PaymentCreate, PaymentOrderBump
from rastro.funnels.payments.service import payments
from rastro.funnels.recovery.service import starts
from rastro.tracking.service.conversions import TOUCH_FIELDS

log = structlog.get_logger(__name__)

MAX_FORM = 16 * 1024
# The buyer's form fields and what to tell them (pt-BR: the pages are the buyer's).
_FIELD_MESSAGES = {
    "name": "Informe seu nome.",
    "email": "Informe um e-mail válido.",
    "phone": "Informe um telefone válido, com DDD.",
    "document": "Informe um CPF ou CNPJ válido.",
    "zip": "Informe um CEP válido (8 dígitos).",
    "street": "Informe o endereço.",
    "number": "Informe o número do endereço.",
    "city": "Informe a cidade.",
    "state": "Informe a UF (duas letras, como SP).",
}


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
        return page(
            "capture", place, 422, token=token, values=values, errors=_messages(error.details)
        )
    live = getattr(request.app.state, "live", None)
    if live is not None and not lead.duplicate:  # committed by the capture
        await live.publish(step.organization_id, "lead_created", {"lead_id": str(lead.lead_id)})
    return redirect(place.url(step.next_slug), place)


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
    again with a message (and nothing stored: the answer is an error status). Past the
    charges an IP address may ask for in an hour, a 429 page with `Retry-After`."""
    try:
        await _limit(request, session, place, "funnel_charge")
    except TooManyRequests as error:
        log.info("funnels.charges_limited", step_id=str(place.step.step_id))
        limited = message(place, TOO_MANY, 429)
        limited.headers.update(error.headers)
        return limited
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
        said = (
            "O pagamento está indisponível no momento. Tente novamente em instantes."
            if status >= 500
            else "Não foi possível gerar o PIX. Confira os dados ou tente mais tarde."
        )
        return page(on_error, place, status, errors=[said], **context)
    return redirect(place.url(place.step.step_slug, created.payment.id), place)


TOO_MANY = "Muitas tentativas a partir desta conexão. Tente novamente mais tarde."
_LIMITS = {
    "funnel_charge": "checkout_charges_per_ip_hour",
    "funnel_checkout_start": "checkout_starts_per_ip_hour",
}


async def _limit(request: Request, session: AsyncSession, place: Place, bucket: str) -> None:
    """Count the request against its IP address's hourly limit (`TooManyRequests` past
    it); a request without a client address is not limited."""
    if request.client is None:
        return
    await rate_limits.hit(
        session,
        organization_id=place.step.organization_id,
        bucket=bucket,
        key=request.client.host,
        limit=getattr(request.app.state.settings, _LIMITS[bucket]),
        window=timedelta(hours=1),
        now=datetime.now(UTC),
    )


async def _submit_checkout(
    request: Request, session: AsyncSession, place: Place, form: dict[str, str]
) -> Response:
    step = place.step
    if step.offer is None:
        return message(place, "Este checkout ainda não está disponível.", 503)
    token = _token(form)
    offer = step.offer
    values = {k: form.get(k, "") for k in ("name", "email", "phone", "document")}
    address = {k: form.get(k, "") for k in ADDRESS_FIELDS} if offer.fields.address else {}
    bump = offer.bump if offer.bump is not None and form.get("order_bump") == "1" else None
    settings = step_settings(step.step_type, step.settings)
    missing = [k for k in ("name", "email") if not values[k]]
    if settings.collect_document and not values["document"]:
        missing.append("document")
    missing += [k for k, v in address.items() if not v]
    shown = {**values, **address, "order_bump": "1" if bump else ""}
    try:
        if missing:
            raise UnprocessableEntity(details=[{"loc": k} for k in missing])
        try:
            customer = CustomerIn.model_validate(
                {k: v for k, v in values.items() if v} | ({"address": address} if address else {})
            )
            body = PaymentCreate(
                # The order bump, ticked, joins the same charge.
                amount=offer.price + (bump.price if bump else 0),
                currency="BRL",
                product_name=offer.product_name,
                order_bump=PaymentOrderBump(
                    product_name=offer.bump.product_name,
                    amount=offer.bump.price,
                    accepted=bump is not None,
                )
                if offer.bump is not None
                else None,
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
        return page(
            "checkout", place, 422, token=token, values=shown, errors=_messages(error.details)
        )
    return await _charge(
        request, session, place, body=body, on_error="checkout", token=token, values=shown
    )


async def _submit_offer(
    request: Request, session: AsyncSession, place: Place, form: dict[str, str]
) -> Response:
    step = place.step
    parent = paid(await payment_of(session, place, form.get("payment")))
    if form.get("action") == "decline" or parent is None or step.offer is None:
        return redirect(place.url(step.decline_slug, parent.id if parent else None), place)
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


async def submit(
    request: Request, session: AsyncSession, bi: AsyncSession, place: Place
) -> Response:
    form = await _form(request)
    await visit(
        bi,
        place,
        form.get("rastro_session_id") or request.cookies.get(TRACKER_SESSION_COOKIE),
    )
    kind = place.step.step_type
    if kind == "capture":
        return await _submit_capture(request, place, form)
    if kind == "checkout" and form.get("resume"):
        # Back through a recovery's resume link: the charge keeps the checkout's original
        # session and visitor, so the sale is credited to the original campaign (the
        # visit above stays the new session's own).
        reopened = await resumed(request, session, place, form["resume"])
        if not isinstance(reopened, ResumeTarget):
            return link_error(reopened)
        place.resume = form["resume"]
        form["rastro_session_id"] = reopened.session_id or ""
        form["rastro_visitor_id"] = reopened.visitor_id or ""
    if kind == "checkout":
        return await _submit_checkout(request, session, place, form)
    if kind in ("upsell", "downsell"):
        return await _submit_offer(request, session, place, form)
    return redirect(place.url(place.step.next_slug), place)


async def submit_checkout_start(request: Request, session: AsyncSession, place: Place) -> Response:
    """What a checkout page sends as the buyer types their contact (the recovery's
    abandoned checkouts): 204, or 400/404/422 with nothing kept, 429 past the updates an
    IP address may send in an hour."""
    step = place.step
    if step.step_type != "checkout":
        raise NotFound("Not a checkout.")
    await _limit(request, session, place, "funnel_checkout_start")
    form = await _form(request)
    token = form.get("token", "")
    session_id = form.get("rastro_session_id", "")
    if not (token.isalnum() and 16 <= len(token) <= 64):
        raise BadRequest("The form's token is missing.")
    if not (session_id.isalnum() and len(session_id) <= 64):
        raise BadRequest("The tracker's session is missing.")
    visitor_id = form.get("rastro_visitor_id", "")
    await starts.record_checkout_start(
        session,
        starts.CheckoutStart(
            organization_id=step.organization_id,
            funnel_id=step.funnel_id,
            step_id=step.step_id,
            token=token,
            session_id=session_id,
            visitor_id=visitor_id[:64] if visitor_id.isalnum() else None,
            name=form.get("name", "")[:200] or None,
            email=form.get("email", "")[:320] or None,
            phone=form.get("phone", "")[:40] or None,
        ),
        now=datetime.now(UTC),
    )
    return Response(status_code=204, headers={"cache-control": "no-store"})


# Declared first: `_status` is no funnel slug (slugs start with a letter or digit).
