"""Public routes a recipient's mail client and the providers reach (`/e/…`): the click
redirect, the open pixel, one-click unsubscribe (RFC 8058) and its page, and the provider
webhooks. A token or endpoint that does not verify is a 404 with the error envelope."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from rastro.core.db import libpq_url
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.routing import PlainRoute, read_body
from rastro.core.security import Keyring
from rastro.core.session import TransactionalRoute
from rastro.email.errors import TrackingTokenInvalid
from rastro.email.providers.ses import SesWebhook, SnsVerificationError
from rastro.email.service import tracking, webhooks
from rastro.email.service.click_writer import ClickWriter

router = APIRouter(
    prefix="/e",
    tags=["email-public"],
    route_class=TransactionalRoute,
    responses={
        **ERROR_RESPONSES,
        404: {"description": "The token or webhook endpoint does not verify"},
        413: {"description": "A webhook body over 256 KB"},
    },
)

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Referrer-Policy": "no-referrer"}
Token = Annotated[str, Path(min_length=10, max_length=128)]
WEBHOOK_BODY_LIMIT = 256 * 1024


def _secret(request: Request) -> str:
    return str(request.app.state.settings.secret_key_value)


def _visit(request: Request) -> tracking.Visit:
    return tracking.Visit(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent", ""),
    )


def _click_writer(request: Request) -> ClickWriter:
    writer: ClickWriter | None = getattr(request.app.state, "email_click_writer", None)
    if writer is None:
        databases = request.app.state.databases
        writer = request.app.state.email_click_writer = ClickWriter(
            libpq_url(databases.crm.url),
            libpq_url(databases.bi.url),
            drain_seconds=request.app.state.settings.email_click_drain_seconds,
        )
        request.app.state.closers.append(writer.close)
    return writer


async def click(request: Request) -> Response:
    """Record the click and redirect to the link with the campaign's UTMs, `mid`, `rid`."""
    # A plain route (rastro.core.routing), matched before the module routers: no
    # dependencies or ORM sessions; the click is committed by the group writer (with the
    # concurrent requests' clicks, in the CRM's click queue) before this answers.
    token = request.path_params["token"]
    if not 10 <= len(token) <= 128:
        raise TrackingTokenInvalid()
    url = await tracking.record_click(
        _click_writer(request),
        secret=_secret(request),
        token=token,
        visit=_visit(request),
    )
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


# Matched before the module routers (the click redirect is the e-mail's public hot path).
click_routes: list[BaseRoute] = [
    PlainRoute(
        "/e/c/{token}",
        click,
        methods=["GET"],
        status_code=302,
        response_class=RedirectResponse,
        tags=["email-public"],
        responses={
            **ERROR_RESPONSES,
            302: {"description": "To the link, with the campaign's UTMs, `mid` and `rid`"},
            404: {"description": "The token does not verify"},
        },
        openapi_extra={
            "parameters": [
                {
                    "name": "token",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 10, "maxLength": 128},
                }
            ]
        },
    )
]


@router.get("/o/{token}.gif", response_class=Response)
async def open_pixel(request: Request, token: Token, crm: CrmSession, bi: BiSession) -> Response:
    """Record an open; answers a 1x1 transparent GIF."""
    await tracking.record_open(crm, bi, secret=_secret(request), token=token, visit=_visit(request))
    return Response(GIF, media_type="image/gif", headers=NO_STORE)


_PAGE = """<!doctype html><html lang="pt-BR"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Descadastrar / Unsubscribe</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
button{{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem}}</style>
</head><body>{body}</body></html>"""


def _page(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(body=body), status_code=status_code, headers=NO_STORE)


@router.get("/u/{token}", response_class=HTMLResponse)
async def unsubscribe_page(
    request: Request, token: Token, crm: CrmSession, bi: BiSession
) -> HTMLResponse:
    """The unsubscribe page: leave this campaign or every mailing."""
    target = await tracking.unsubscribe_target(crm, bi, secret=_secret(request), token=token)
    if target.unsubscribed:
        return _page(
            "<h1>Você já está descadastrado.</h1><p lang='en'>You are already unsubscribed.</p>"
        )
    name = html.escape(target.campaign_name)
    return _page(
        f"<h1>Descadastrar</h1><p>Campanha: <strong>{name}</strong></p>"
        '<form method="post">'
        '<button name="scope" value="campaign">Não receber mais esta campanha '
        "/ Stop this campaign</button>"
        '<button name="scope" value="global">Não receber mais nenhum e-mail '
        "/ Unsubscribe from everything</button></form>"
    )


@router.post("/u/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: Token, crm: CrmSession, bi: BiSession) -> Response:
    """RFC 8058 one-click (`List-Unsubscribe=One-Click`: from everything) or the page's
    choice; recorded at once."""
    body = await read_body(request, 4096, "The form is too large.")
    form = parse_qs(body.decode("utf-8", errors="replace"))
    one_click = form.get("List-Unsubscribe") == ["One-Click"]
    scope = "global" if one_click else (form.get("scope") or ["global"])[0]
    if scope not in ("global", "campaign"):
        scope = "global"
    await tracking.unsubscribe(
        crm,
        bi,
        secret=_secret(request),
        token=token,
        scope=scope,
        source="one_click" if one_click else "page",
        ip=_visit(request).ip,
    )
    if one_click:
        return Response(status_code=200, headers=NO_STORE)
    return _page(
        "<h1>Pronto: você foi descadastrado.</h1><p lang='en'>Done: you are unsubscribed.</p>"
    )


async def _fetch(url: str) -> bytes:
    try:
        async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
            response = await client.get(url)
    except httpx.HTTPError as error:
        raise SnsVerificationError(f"fetch failed: {type(error).__name__}") from None
    if response.status_code != 200:
        raise SnsVerificationError(f"fetch answered {response.status_code}")
    return response.content


def _ses(request: Request) -> SesWebhook:
    webhook: SesWebhook | None = getattr(request.app.state, "email_ses_webhook", None)
    if webhook is None:
        pattern = request.app.state.settings.sns_cert_url_pattern
        webhook = SesWebhook(cert_url_pattern=pattern, fetch=_fetch)
        request.app.state.email_ses_webhook = webhook  # its certificate cache lives here
    return webhook


WebhookToken = Annotated[str, Path(min_length=1, max_length=200)]


@router.post("/webhooks/ses/{webhook_token}")
async def ses_webhook(
    request: Request, webhook_token: WebhookToken, crm: CrmSession, bi: BiSession
) -> dict[str, str]:
    """Amazon SES notifications via SNS (signature verified; subscriptions confirmed)."""
    body = await read_body(request, WEBHOOK_BODY_LIMIT, "The notification is too large.")
    result = await webhooks.receive_ses(
        crm,
        bi,
        webhook_token=webhook_token,
        body=body,
        webhook=_ses(request),
        soft_limit=request.app.state.settings.email_soft_bounce_limit,
    )
    return {"result": result}


@router.post(
    "/webhooks/postmark/{webhook_token}",
    responses={
        401: {"description": "Missing or wrong basic auth credentials"},
        422: {"description": "The body is not a Postmark record"},
    },
)
async def postmark_webhook(
    request: Request, webhook_token: WebhookToken, crm: CrmSession, bi: BiSession
) -> dict[str, str]:
    """Postmark bounce, spam complaint and delivery webhooks (basic auth checked)."""
    body = await read_body(request, WEBHOOK_BODY_LIMIT, "The webhook is too large.")
    result = await webhooks.receive_postmark(
        crm,
        bi,
        webhook_token=webhook_token,
        authorization=request.headers.get("authorization"),
        body=body,
        secret=_secret(request),
        soft_limit=request.app.state.settings.email_soft_bounce_limit,
    )
    return {"result": result}


@router.post(
    "/webhooks/sendgrid/{webhook_token}",
    responses={
        404: {
            "description": "Unknown endpoint, no verification key in the vault, or a "
            "signature that does not verify or whose timestamp is stale"
        },
        422: {"description": "The body is not an array of SendGrid events"},
    },
)
async def sendgrid_webhook(
    request: Request, webhook_token: WebhookToken, crm: CrmSession, bi: BiSession
) -> dict[str, str]:
    """SendGrid Event Webhook (Signed Event Webhook: ECDSA signature over timestamp + body,
    checked with the verification key in the vault)."""
    body = await read_body(request, WEBHOOK_BODY_LIMIT, "The webhook is too large.")
    keyring: Keyring = request.app.state.keyring
    result = await webhooks.receive_sendgrid(
        crm,
        bi,
        keyring,
        webhook_token=webhook_token,
        signature=request.headers.get("x-twilio-email-event-webhook-signature"),
        timestamp=request.headers.get("x-twilio-email-event-webhook-timestamp"),
        body=body,
        soft_limit=request.app.state.settings.email_soft_bounce_limit,
    )
    return {"result": result}


@router.post(
    "/webhooks/mailgun/{webhook_token}",
    responses={
        404: {
            "description": "Unknown endpoint, no signing key in the vault, or a signature "
            "that does not verify or whose timestamp is stale"
        },
        406: {"description": "A replay: this signature token was received before"},
        422: {"description": "The body is not a Mailgun webhook"},
    },
)
async def mailgun_webhook(
    request: Request, webhook_token: WebhookToken, crm: CrmSession, bi: BiSession
) -> dict[str, str]:
    """Mailgun webhooks (HMAC-SHA256 of timestamp + token with the signing key in the vault;
    a token is accepted once)."""
    body = await read_body(request, WEBHOOK_BODY_LIMIT, "The webhook is too large.")
    keyring: Keyring = request.app.state.keyring
    result = await webhooks.receive_mailgun(
        crm,
        bi,
        keyring,
        webhook_token=webhook_token,
        body=body,
        soft_limit=request.app.state.settings.email_soft_bounce_limit,
    )
    return {"result": result}
