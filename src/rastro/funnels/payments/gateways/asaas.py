"""Asaas (API v3): a customer (`POST /v3/customers`), a charge with `billingType: "PIX"`
(`POST /v3/payments`), then its dynamic QR code (`GET /v3/payments/{id}/pixQrCode` →
`payload`, `encodedImage`, `expirationDate`). Requests carry the `access_token` header.

Webhooks (`{"id": "evt_…", "event": "PAYMENT_RECEIVED", "payment": {"id": "pay_…",
"status": …}}`) are not signed: Asaas sends the token chosen when the webhook was set up
in the `asaas-access-token` header, compared in constant time. The event names the new
status.

Credential: `api_key` = the API key, `api_secret` = the webhook's authentication token.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

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
    same_secret,
)
from rastro.funnels.payments.statuses import PaymentStatus

BRASILIA = ZoneInfo("America/Sao_Paulo")
# Webhook events that change a payment's status; the others (created, updated, viewed…)
# change nothing here.
EVENTS: dict[str, PaymentStatus] = {
    "PAYMENT_CONFIRMED": "paid",
    "PAYMENT_RECEIVED": "paid",
    "PAYMENT_OVERDUE": "expired",
    "PAYMENT_DELETED": "cancelled",
    "PAYMENT_REFUNDED": "refunded",
    "PAYMENT_CHARGEBACK_REQUESTED": "chargedback",
    "PAYMENT_CHARGEBACK_DISPUTE": "chargedback",
}
STATUSES: dict[str, PaymentStatus] = {
    "PENDING": "pending",
    "AWAITING_RISK_ANALYSIS": "pending",
    "CONFIRMED": "paid",
    "RECEIVED": "paid",
    "RECEIVED_IN_CASH": "paid",
    "REFUND_REQUESTED": "paid",
    "REFUND_IN_PROGRESS": "paid",
    "OVERDUE": "expired",
    "REFUNDED": "refunded",
    "CHARGEBACK_REQUESTED": "chargedback",
    "CHARGEBACK_DISPUTE": "chargedback",
    "AWAITING_CHARGEBACK_REVERSAL": "chargedback",
}
_KEPT = ("id", "status", "billingType", "dueDate", "paymentDate", "confirmedDate")


def _status(data: dict[str, Any]) -> PaymentStatus:
    status = STATUSES.get(str(data.get("status")))
    if status is None:
        raise GatewayError("Asaas answered an unknown payment status.")
    if data.get("deleted") is True and status == "pending":
        return "cancelled"
    return status


def _local_time(value: Any) -> datetime | None:
    """Asaas writes times in Brasília, without an offset (`2024-06-12 16:45:03`)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BRASILIA)


class AsaasGateway(Gateway):
    name: ClassVar[str] = "asaas"
    label: ClassVar[str] = "Asaas"
    credential_service: ClassVar[str] = "asaas"
    verification: ClassVar[str] = (
        "asaas-access-token header equal to the webhook token (credential secret)"
    )

    def _headers(self, credential: ResolvedCredential) -> dict[str, str]:
        return {"access_token": credential.api_key}

    async def create_charge(self, request: ChargeRequest, credential: ResolvedCredential) -> Charge:
        buyer = request.customer
        if not buyer.name or not buyer.document:
            raise GatewayError("Asaas needs the buyer's name and CPF/CNPJ.")
        headers = self._headers(credential)
        customer_body: dict[str, Any] = {
            "name": buyer.name,
            "cpfCnpj": buyer.document,
            "externalReference": str(request.payment_id),
            "notificationDisabled": True,
        }
        if buyer.email:
            customer_body["email"] = buyer.email
        if buyer.phone and buyer.phone.startswith("+55"):
            customer_body["mobilePhone"] = buyer.phone[3:]
        # Asaas dates are Brasília's calendar; a PIX due today expires at its end.
        due = (datetime.now(UTC) + timedelta(seconds=request.expires_in)).astimezone(BRASILIA)
        async with self.client(credential, attempts=1) as http:
            customer = answer(
                await http.post("/v3/customers", json=customer_body, headers=headers), self.label
            )
            payment = answer(
                await http.post(
                    "/v3/payments",
                    json={
                        "customer": customer.get("id"),
                        "billingType": "PIX",
                        "value": float(request.amount),
                        "dueDate": date.isoformat(due.date()),
                        "description": request.description[:500],
                        "externalReference": str(request.payment_id),
                    },
                    headers=headers,
                ),
                self.label,
            )
            payment_id = payment.get("id")
            if not payment_id:
                raise GatewayError("Asaas answered without the payment id.")
            qr = answer(
                await http.get(f"/v3/payments/{payment_id}/pixQrCode", headers=headers),
                self.label,
            )
        if not qr.get("payload"):
            raise GatewayError("Asaas answered without the PIX payload.")
        return Charge(
            external_id=str(payment_id),
            status=_status(payment),
            pix_copy_paste=str(qr["payload"]),
            pix_url=payment.get("invoiceUrl"),
            expires_at=_local_time(qr.get("expirationDate")),
            response={key: payment.get(key) for key in _KEPT},
        )

    async def fetch_status(self, external_id: str, credential: ResolvedCredential) -> ChargeState:
        async with self.client(credential) as http:
            response = await http.get(
                f"/v3/payments/{external_id}", headers=self._headers(credential)
            )
            data = answer(response, self.label)
        return ChargeState(
            status=_status(data),
            paid_at=_local_time(data.get("confirmedDate") or data.get("paymentDate")),
            response={key: data.get(key) for key in _KEPT},
        )

    def notifications(self, request: SignedRequest) -> list[Notification]:
        body = json_body(request)
        payment = body.get("payment")
        event = body.get("event")
        if not isinstance(payment, dict) or not isinstance(event, str):
            return []  # transfers, invoices, accounts…: not ours
        payment_id = payment.get("id")
        if not isinstance(payment_id, str) or not payment_id:
            raise MalformedWebhook("The event names no payment.")
        status = EVENTS.get(event)
        if status is None:
            return []
        event_id = body.get("id")
        return [
            Notification(
                external_id=payment_id,
                status=status,
                event_id=str(event_id) if event_id is not None else None,
            )
        ]

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        if not same_secret(request.headers.get("asaas-access-token"), credential.api_secret):
            raise WebhookRejected("bad access token")
