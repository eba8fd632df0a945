"""Mercado Pago (Checkout API, payments): `POST /v1/payments` with
`payment_method_id: "pix"` and the required `X-Idempotency-Key`; the answer's
`point_of_interaction.transaction_data` holds the copia e cola (`qr_code`) and the
charge's page (`ticket_url`).

Webhooks (`{"action": "payment.updated", "type": "payment", "data": {"id": ...}}`) are
signed: `x-signature: ts=<unix>,v1=<hex>` where v1 = HMAC-SHA256(the webhook's secret,
`id:<data.id>;request-id:<x-request-id>;ts:<ts>;`) and `data.id` comes from the query
string, lower-cased. The body carries no status: it is read back with
`GET /v1/payments/{id}`, as Mercado Pago advises.

Credential: `api_key` = the access token, `api_secret` = the webhook secret signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timedelta
from typing import Any, ClassVar

from rastro.auth.service.credentials import ResolvedCredential
from rastro.funnels.payments.gateways.base import (
    Charge,
    ChargeRequest,
    ChargeState,
    Gateway,
    GatewayError,
    MalformedWebhook,
    Notification,
    SignedRequest,
    WebhookRejected,
    answer,
    json_body,
)
from rastro.funnels.payments.statuses import PaymentStatus

SIGNATURE_TOLERANCE_SECONDS = 600
_STATUS: dict[str, PaymentStatus] = {
    "pending": "pending",
    "in_process": "pending",
    "authorized": "pending",
    "in_mediation": "paid",
    "approved": "paid",
    "rejected": "failed",
    "cancelled": "cancelled",
    "refunded": "refunded",
    "charged_back": "chargedback",
}
_KEPT = ("id", "status", "status_detail", "date_created", "date_approved", "date_of_expiration")


def status_of(data: dict[str, Any]) -> PaymentStatus:
    status = _STATUS.get(str(data.get("status")))
    if status is None:
        raise GatewayError("Mercado Pago answered an unknown payment status.")
    if status == "cancelled" and data.get("status_detail") == "expired":
        return "expired"
    return status


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def signature_manifest(data_id: str, request_id: str, ts: str) -> str:
    return f"id:{data_id};request-id:{request_id};ts:{ts};"


class MercadoPagoGateway(Gateway):
    name: ClassVar[str] = "mercadopago"
    label: ClassVar[str] = "Mercado Pago"
    credential_service: ClassVar[str] = "mercadopago"
    verification: ClassVar[str] = (
        "x-signature HMAC-SHA256 with the webhook secret (credential secret); the status "
        "is read back from the payment"
    )
    create_attempts: ClassVar[int] = 3  # X-Idempotency-Key makes a retry the same charge

    def _headers(self, credential: ResolvedCredential) -> dict[str, str]:
        return {"authorization": f"Bearer {credential.api_key}"}

    async def create_charge(self, request: ChargeRequest, credential: ResolvedCredential) -> Charge:
        customer = request.customer
        if not customer.email:
            raise GatewayError("Mercado Pago needs the buyer's e-mail for a PIX payment.")
        payer: dict[str, Any] = {"email": customer.email}
        if customer.name:
            first, _, last = customer.name.partition(" ")
            payer["first_name"] = first
            if last:
                payer["last_name"] = last
        if customer.document:
            kind = "CPF" if len(customer.document) == 11 else "CNPJ"
            payer["identification"] = {"type": kind, "number": customer.document}
        expires = datetime.now().astimezone() + timedelta(seconds=request.expires_in)
        body: dict[str, Any] = {
            "transaction_amount": float(request.amount),
            "description": request.description[:255],
            "payment_method_id": "pix",
            "payer": payer,
            "external_reference": str(request.payment_id),
            "date_of_expiration": expires.isoformat(timespec="milliseconds"),
        }
        if request.notification_url:
            body["notification_url"] = request.notification_url
        headers = {**self._headers(credential), "x-idempotency-key": str(request.payment_id)}
        async with self.client(credential, attempts=self.create_attempts) as http:
            data = answer(await http.post("/v1/payments", json=body, headers=headers), self.label)
        transaction = (data.get("point_of_interaction") or {}).get("transaction_data") or {}
        if data.get("id") is None or not transaction.get("qr_code"):
            raise GatewayError("Mercado Pago answered without the payment id or QR code.")
        return Charge(
            external_id=str(data["id"]),
            status=status_of(data),
            pix_copy_paste=str(transaction["qr_code"]),
            pix_url=transaction.get("ticket_url"),
            expires_at=_parse_time(data.get("date_of_expiration")),
            response={key: data.get(key) for key in _KEPT},
        )

    async def fetch_status(self, external_id: str, credential: ResolvedCredential) -> ChargeState:
        async with self.client(credential) as http:
            response = await http.get(
                f"/v1/payments/{external_id}", headers=self._headers(credential)
            )
            data = answer(response, self.label)
        return ChargeState(
            status=status_of(data),
            paid_at=_parse_time(data.get("date_approved")),
            response={key: data.get(key) for key in _KEPT},
        )

    def notifications(self, request: SignedRequest) -> list[Notification]:
        body = json_body(request)
        kind = body.get("type") or request.query.get("type") or request.query.get("topic")
        if kind != "payment":
            return []  # merchant orders, plans…: not ours
        data_id = request.query.get("data.id") or (body.get("data") or {}).get("id")
        if data_id is None or str(data_id) == "":
            raise MalformedWebhook("The notification names no payment.")
        event_id = body.get("id")
        return [
            Notification(
                external_id=str(data_id),
                status=None,
                event_id=str(event_id) if event_id is not None else None,
            )
        ]

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        secret = credential.api_secret
        header = request.headers.get("x-signature") or ""
        parts = dict(
            part.strip().split("=", 1) for part in header.split(",") if "=" in part.strip()
        )
        ts, v1 = parts.get("ts"), parts.get("v1")
        request_id = request.headers.get("x-request-id") or ""
        data_id = request.query.get("data.id")
        if not secret or not ts or not v1 or not data_id:
            raise WebhookRejected("missing signature parts")
        manifest = signature_manifest(data_id.lower(), request_id, ts)
        expected = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, v1.lower()):
            raise WebhookRejected("bad signature")
        if not ts.isdigit():
            raise WebhookRejected("bad signature timestamp")
        # `ts` is in milliseconds in Mercado Pago's examples, in seconds in others.
        seconds = int(ts) / 1000 if int(ts) > 10**11 else int(ts)
        if abs(time.time() - seconds) > SIGNATURE_TOLERANCE_SECONDS:
            raise WebhookRejected("stale signature")
