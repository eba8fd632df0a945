"""Public double opt-in routes (`/e/…`): a form's submission, its thank-you page, and the
confirmation link's page and button. A confirmation link is confirmed by a POST from its
page (listmonk does the same), so that mail scanners following links confirm nothing."""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from rastro.core.deps import CrmSession
from rastro.core.errors import ERROR_RESPONSES, RastroError
from rastro.core.inputs import check_body
from rastro.core.routing import read_fields
from rastro.core.session import TransactionalRoute
from rastro.email import subscription_schemas as schemas
from rastro.email.models import SubscriptionForm
from rastro.email.service import forms, subscriptions

router = APIRouter(prefix="/e", tags=["email-public"], route_class=TransactionalRoute)
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Referrer-Policy": "no-referrer"}
FormToken = Annotated[str, Path(min_length=8, max_length=64)]
ConfirmToken = Annotated[str, Path(min_length=10, max_length=128)]
_HTML: dict[str, Any] = {"text/html": {}}
_SUBSCRIBE_SCHEMA = schemas.SubscribeIn.model_json_schema()
_TEXTS = {
    "pt-BR": {
        "thanks": "Quase lá! Enviamos um e-mail para você confirmar a inscrição.",
        "ask": "Confirme sua inscrição",
        "button": "Confirmar inscrição",
        "done": "Inscrição confirmada. Obrigado!",
        "already": "Esta inscrição já está confirmada.",
        "invalid": "Link inválido.",
        "expired": "Este link expirou. Inscreva-se novamente.",
    },
    "en": {
        "thanks": "Almost there! We sent you an e-mail to confirm your subscription.",
        "ask": "Confirm your subscription",
        "button": "Confirm subscription",
        "done": "Subscription confirmed. Thank you!",
        "already": "This subscription is confirmed already.",
        "invalid": "Invalid link.",
        "expired": "This link has expired. Please subscribe again.",
    },
}
_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
button{{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem}}</style>
</head><body>{body}</body></html>"""


def _texts(form: SubscriptionForm | None) -> tuple[str, dict[str, str]]:
    language = form.language if form is not None else "pt-BR"
    return language, _TEXTS.get(language, _TEXTS["en"])


def _page(language: str, title: str, body: str, status_code: int = 200) -> HTMLResponse:
    page = _PAGE.format(lang=language, title=html.escape(title), body=body)
    return HTMLResponse(page, status_code=status_code, headers=NO_STORE)


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(
    "/subscribe/{form_token}",
    status_code=202,
    response_model=schemas.Subscribed,
    responses={
        **ERROR_RESPONSES,
        303: {"description": "From an HTML form: to the form's page, or the thank-you page"},
        400: {"description": "A body that is neither JSON nor a UTF-8 form"},
        404: {"description": "No such form"},
        413: {"description": "A body over 8 KB"},
        429: {"description": "Too many pending subscriptions from this IP (see Retry-After)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _SUBSCRIBE_SCHEMA},
                "application/x-www-form-urlencoded": {"schema": _SUBSCRIBE_SCHEMA},
            },
        }
    },
)
async def subscribe(request: Request, form_token: FormToken, crm: CrmSession) -> Response:
    """Subscribe an address (double opt-in: a confirmation e-mail follows). The answer is
    the same whether the address is new, pending, subscribed or a honeypot's."""
    body, from_form = await read_fields(request, 8192, "A subscription is at most 8 KB.")
    check_body(body)
    try:
        fields = schemas.SubscribeIn.model_validate(body)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None
    submission = subscriptions.Submission(form_token=form_token, fields=fields, ip=_ip(request))
    form = await subscriptions.subscribe(crm, submission=submission)
    if from_form:
        target = form.redirect_url or f"{request.url.path}"
        return RedirectResponse(target, status_code=303, headers=NO_STORE)
    return JSONResponse(schemas.Subscribed().model_dump(), status_code=202, headers=NO_STORE)


@router.get(
    "/subscribe/{form_token}",
    response_class=HTMLResponse,
    responses={404: {"description": "No such form", "content": _HTML}},
)
async def subscribed_page(form_token: FormToken, crm: CrmSession) -> HTMLResponse:
    """The page after subscribing: look for the confirmation e-mail."""
    try:
        form: SubscriptionForm | None = await forms.form_by_token(crm, token=form_token)
    except forms.FormNotFound:
        form = None
    if form is None:
        return _failure(forms.FormNotFound())
    language, texts = _texts(form)
    return _page(language, texts["ask"], f"<h1>{html.escape(texts['thanks'])}</h1>")


_CONFIRM_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "A tampered or unknown link", "content": _HTML},
    410: {"description": "An expired link (older than 7 days)", "content": _HTML},
}


def _failure(error: RastroError) -> HTMLResponse:
    """Both languages: a link that does not verify names no form."""
    key = "expired" if error.status_code == 410 else "invalid"
    pt, en = _TEXTS["pt-BR"][key], _TEXTS["en"][key]
    return _page("pt-BR", pt, f"<h1>{pt}</h1><p lang='en'>{en}</p>", error.status_code)


@router.get("/confirm/{token}", response_class=HTMLResponse, responses=_CONFIRM_RESPONSES)
async def confirmation_page(request: Request, token: ConfirmToken, crm: CrmSession) -> Response:
    """The confirmation link's page: a button that confirms."""
    secret = str(request.app.state.settings.secret_key_value)
    try:
        found = await subscriptions.confirmation_page(crm, secret=secret, token=token)
    except (subscriptions.ConfirmationInvalid, subscriptions.ConfirmationExpired) as error:
        return _failure(error)
    language, texts = _texts(found.form)
    if found.already:
        return _page(language, texts["already"], f"<h1>{texts['already']}</h1>")
    return _page(
        language,
        texts["ask"],
        f'<h1>{texts["ask"]}</h1><form method="post"><button>{texts["button"]}</button></form>',
    )


@router.post(
    "/confirm/{token}",
    response_class=HTMLResponse,
    responses=_CONFIRM_RESPONSES,
)
async def confirm(request: Request, token: ConfirmToken, crm: CrmSession) -> Response:
    """Confirm the subscription (time and IP kept as proof); again changes nothing."""
    secret = str(request.app.state.settings.secret_key_value)
    try:
        done = await subscriptions.confirm(crm, secret=secret, token=token, ip=_ip(request))
    except (subscriptions.ConfirmationInvalid, subscriptions.ConfirmationExpired) as error:
        return _failure(error)
    language, texts = _texts(done.form)
    key = "already" if done.already else "done"
    return _page(language, texts[key], f"<h1>{texts[key]}</h1>")
