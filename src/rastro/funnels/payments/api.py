"""Routes of the payments (seed 002 `/api/payments…`): create a PIX charge, read a
payment and its status, confirm a static PIX by hand, and the gateways' webhooks
(`POST /api/payments/webhook/{gateway}`, and `…/{gateway}/pix` where the PIX API's PSP
appends `/pix` to the registered URL)."""

from __future__ import annotations

import uuid
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Request, Response
from sqlalchemy.exc import IntegrityError
from starlette.routing import BaseRoute

from rastro.core.db import Databases
from rastro.core.deps import CrmSession
from rastro.core.errors import ERROR_RESPONSES, Conflict
from rastro.core.inputs import check_request
from rastro.core.routing import PlainRoute, read_body
from rastro.core.security import Keyring
from rastro.core.session import TransactionalRoute
from rastro.funnels.payments import brcode, schemas
from rastro.funnels.payments.gateways.base import SignedRequest
from rastro.funnels.payments.models import Payment
from rastro.funnels.payments.permissions import Read, Write
from rastro.funnels.payments.service import payments, platforms, webhooks
from rastro.funnels.payments.statuses import purchase_event_id

MAX_WEBHOOK_BODY = 256 * 1024

router = APIRouter(
    prefix="/api/payments",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["payments"],
)


def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


def _out(payment: Payment) -> schemas.Payment:
    out = schemas.Payment.model_validate(
        {
            **{c: getattr(payment, c) for c in schemas.Payment.model_fields if hasattr(payment, c)},
            "purchase_event_id": purchase_event_id(payment.id),
        }
    )
    if payment.pix_copy_paste and payment.status == "pending":
        out.pix_qr_svg = brcode.qr_svg(payment.pix_copy_paste)
    return out


@router.post(
    "/create",
    response_model=schemas.Payment,
    status_code=201,
    responses={
        200: {"description": "The idempotency key's payment, already created"},
        503: {"description": "The gateway is unavailable; nothing was stored"},
    },
)
async def create_payment(
    body: schemas.PaymentCreate,
    request: Request,
    response: Response,
    _: Write,
    session: CrmSession,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
    ] = None,
) -> schemas.Payment:
    """Create a PIX charge at the organization's gateway (or a static PIX BR Code)."""
    created = await payments.create_payment(
        session,
        _keyring(request),
        body=body,
        idempotency_key=idempotency_key,
        webhook_base_url=str(request.base_url).rstrip("/"),
    )
    if not created.created:
        response.status_code = 200
    return _out(created.payment)


@router.get("/{payment_id}", response_model=schemas.Payment)
async def get_payment(payment_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.Payment:
    """A payment with its PIX copia e cola and QR image."""
    return _out(await payments.get_payment(session, payment_id))


@router.get("/{payment_id}/status", response_model=schemas.PaymentStatusOut)
async def get_payment_status(
    payment_id: uuid.UUID, _: Read, session: CrmSession
) -> schemas.PaymentStatusOut:
    """A payment's status (pending, paid, failed, cancelled, expired, refunded, chargedback)."""
    payment = await payments.get_payment(session, payment_id)
    return schemas.PaymentStatusOut(
        id=payment.id,
        status=payment.status,
        paid_at=payment.paid_at,
        expires_at=payment.expires_at,
        status_changed_at=payment.status_changed_at,
        purchase_event_id=purchase_event_id(payment.id),
    )


@router.post("/{payment_id}/confirm", response_model=schemas.Payment)
async def confirm_payment(payment_id: uuid.UUID, _: Write, session: CrmSession) -> schemas.Payment:
    """Confirm a static PIX seen in the bank statement: the payment becomes paid."""
    return _out(await payments.confirm_payment(session, payment_id))


# --- the gateways' webhooks (public: each gateway's own authentication) ----------------------

webhooks_router = APIRouter(tags=["payment webhooks"], route_class=TransactionalRoute)
_WEBHOOK_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "Not a body this gateway sends"},
    401: {"description": "Bad signature or token; nothing was changed"},
    404: {"description": "No such gateway"},
    503: {"description": "The charge could not be read back; the gateway sends it again"},
}


async def _receive(request: Request) -> Response:
    """A gateway's webhook without FastAPI's per-request machinery (a hot path: one CRM
    transaction of its own, committed before the answer; errors go through the
    application's handlers, as a `TransactionalRoute`'s do)."""
    await check_request(request)
    gateway = request.path_params["gateway"]
    body = await read_body(request, MAX_WEBHOOK_BODY, "The webhook body is larger than 256 KB.")
    signed = SignedRequest(
        method=request.method,
        url=str(request.url),
        headers=request.headers,
        query=request.query_params,
        body=body,
    )
    databases: Databases = request.app.state.databases
    try:
        async with databases.crm.transaction(None) as session:
            results = await webhooks.receive_webhook(
                session, _keyring(request), gateway_name=gateway, request=signed
            )
    except IntegrityError as exc:  # a constraint no service check caught first
        raise Conflict("The change conflicts with existing data.") from exc
    receipt = {
        "gateway": gateway,
        "received": len(results),
        "results": [result.model_dump(mode="json") for result in results],
    }
    return Response(orjson.dumps(receipt), media_type="application/json")


async def receive_payment_webhook(request: Request) -> Response:
    """Receive a gateway's payment notification (Mercado Pago, Pagar.me, Asaas, PIX API)."""
    return await _receive(request)


async def receive_pix_api_webhook(request: Request) -> Response:
    """The PIX API's webhook: the PSP posts to the registered URL with `/pix` appended."""
    return await _receive(request)


# Documented like the routes they are (the path's `gateway`, the receipt), served plain.
_GATEWAY_PARAMETER = {
    "parameters": [
        {
            "name": "gateway",
            "in": "path",
            "required": True,
            "schema": {"title": "Gateway", "type": "string"},
        }
    ]
}
webhook_routes: list[BaseRoute] = [
    PlainRoute(
        "/api/payments/webhook/{gateway}",
        receive_payment_webhook,
        methods=["POST"],
        response_model=schemas.WebhookReceipt,
        responses=_WEBHOOK_RESPONSES,
        tags=["payment webhooks"],
        openapi_extra=_GATEWAY_PARAMETER,
    ),
    PlainRoute(
        "/api/payments/webhook/{gateway}/pix",
        receive_pix_api_webhook,
        methods=["POST"],
        response_model=schemas.WebhookReceipt,
        responses=_WEBHOOK_RESPONSES,
        tags=["payment webhooks"],
        openapi_extra=_GATEWAY_PARAMETER,
    ),
]


@webhooks_router.post(
    "/api/payments/platforms/{platform}/{credential_id}",
    response_model=schemas.WebhookReceipt,
    responses=_WEBHOOK_RESPONSES,
)
async def receive_platform_webhook(
    request: Request, platform: str, credential_id: uuid.UUID, session: CrmSession
) -> schemas.WebhookReceipt:
    """Receive a checkout platform's sale: `platform` is hotmart, kiwify, eduzz, shopify,
    yampi, perfectpay, cakto, or `orders` (Rastro's signed orders webhook for any other
    checkout: `X-Rastro-Timestamp`, `X-Rastro-Signature: sha256=HMAC-SHA256(secret,
    timestamp.body)`, a JSON order `{order_id, status, amount, currency, payment_method,
    product_name, parent_order_id, customer, tracking}` or `{"orders": [...]}`). The URL
    names the platform credential whose secret authenticates the delivery."""
    body = await read_body(request, MAX_WEBHOOK_BODY, "The webhook body is larger than 256 KB.")
    results = await platforms.receive_platform_webhook(
        session,
        _keyring(request),
        platform_name=platform,
        credential_id=credential_id,
        request=SignedRequest(
            method=request.method,
            url=str(request.url),
            headers=request.headers,
            query=request.query_params,
            body=body,
        ),
    )
    return schemas.WebhookReceipt(gateway=platform, received=len(results), results=results)
