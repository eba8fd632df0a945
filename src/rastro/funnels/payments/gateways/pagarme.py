"""Pagar.me (API v5, "core"): an order with one PIX payment (`POST /core/v5/orders`,
`payments: [{"payment_method": "pix", "pix": {"expires_in": …}}]`), authenticated with
HTTP Basic (the secret key as user, no password). The charge's last transaction holds
the copia e cola (`qr_code`), its image (`qr_code_url`) and `expires_at`.

Webhooks (`{"id": "hook_…", "type": "order.paid", "data": {"id": "or_…", …}}`, charge
events with `data.order.id`) carry no signature in v5's documentation, so the body is
never trusted: the order is read back with `GET /core/v5/orders/{id}` under the
credential, and its status is the one applied.

Credential: `api_key` = the secret key (`sk_…`).
"""

from __future__ import annotations

import base64
from datetime import datetime
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
    answer,
    cents,
    json_body,
)
from rastro.funnels.payments.statuses import PaymentStatus

# Charge statuses first (they say refunds and chargebacks), then the order's.
_CHARGE_STATUS: dict[str, PaymentStatus] = {
    "pending": "pending",
    "processing": "pending",
    "paid": "paid",
    "overpaid": "paid",
    "underpaid": "pending",
    "failed": "failed",
    "canceled": "cancelled",
    "refunded": "refunded",
    "chargedback": "chargedback",
}
_ORDER_STATUS: dict[str, PaymentStatus] = {
    "pending": "pending",
    "paid": "paid",
    "canceled": "cancelled",
    "failed": "failed",
}


def _charge(order: dict[str, Any]) -> dict[str, Any]:
    charges = order.get("charges")
    if isinstance(charges, list) and charges and isinstance(charges[0], dict):
        return charges[0]
    return {}


def _status(order: dict[str, Any]) -> PaymentStatus:
    charge_status = _CHARGE_STATUS.get(str(_charge(order).get("status")))
    if charge_status is not None:
        return charge_status
    order_status = _ORDER_STATUS.get(str(order.get("status")))
    if order_status is None:
        raise GatewayError("Pagar.me answered an unknown order status.")
    return order_status


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _kept(order: dict[str, Any]) -> dict[str, Any]:
    charge = _charge(order)
    return {
        "id": order.get("id"),
        "status": order.get("status"),
        "charge_id": charge.get("id"),
        "charge_status": charge.get("status"),
    }


class PagarmeGateway(Gateway):
    name: ClassVar[str] = "pagarme"
    label: ClassVar[str] = "Pagar.me"
    credential_service: ClassVar[str] = "pagarme"
    verification: ClassVar[str] = "none documented for v5: the order is read back from Pagar.me"
    create_attempts: ClassVar[int] = 3  # the Idempotency-Key header makes a retry the same order

    def _headers(self, credential: ResolvedCredential) -> dict[str, str]:
        token = base64.b64encode(f"{credential.api_key}:".encode()).decode()
        return {"authorization": f"Basic {token}"}

    async def create_charge(self, request: ChargeRequest, credential: ResolvedCredential) -> Charge:
        buyer = request.customer
        if not buyer.name or not buyer.email or not buyer.document:
            raise GatewayError("Pagar.me needs the buyer's name, e-mail and CPF/CNPJ for PIX.")
        customer: dict[str, Any] = {
            "name": buyer.name,
            "email": buyer.email,
            "document": buyer.document,
            "type": "individual" if len(buyer.document) == 11 else "company",
        }
        if buyer.phone and buyer.phone.startswith("+55") and len(buyer.phone) >= 12:
            national = buyer.phone[3:]
            customer["phones"] = {
                "mobile_phone": {
                    "country_code": "55",
                    "area_code": national[:2],
                    "number": national[2:],
                }
            }
        body = {
            "code": str(request.payment_id),
            "items": [
                {
                    "amount": cents(request.amount),
                    "description": request.description[:256],
                    "quantity": 1,
                    "code": str(request.payment_id),
                }
            ],
            "customer": customer,
            "payments": [{"payment_method": "pix", "pix": {"expires_in": request.expires_in}}],
        }
        headers = {**self._headers(credential), "idempotency-key": str(request.payment_id)}
        async with self.client(credential, attempts=self.create_attempts) as http:
            order = answer(
                await http.post("/core/v5/orders", json=body, headers=headers), self.label
            )
        transaction = _charge(order).get("last_transaction") or {}
        if not order.get("id") or not transaction.get("qr_code"):
            raise GatewayError("Pagar.me answered without the order id or the PIX QR code.")
        return Charge(
            external_id=str(order["id"]),
            status=_status(order),
            pix_copy_paste=str(transaction["qr_code"]),
            pix_url=transaction.get("qr_code_url"),
            expires_at=_time(transaction.get("expires_at")),
            response=_kept(order),
        )

    async def fetch_status(self, external_id: str, credential: ResolvedCredential) -> ChargeState:
        async with self.client(credential) as http:
            response = await http.get(
                f"/core/v5/orders/{external_id}", headers=self._headers(credential)
            )
            order = answer(response, self.label)
        return ChargeState(
            status=_status(order),
            paid_at=_time(_charge(order).get("paid_at")),
            response=_kept(order),
        )

    def notifications(self, request: SignedRequest) -> list[Notification]:
        body = json_body(request)
        kind = body.get("type")
        data = body.get("data")
        if not isinstance(kind, str) or not isinstance(data, dict):
            raise MalformedWebhook("Not a Pagar.me webhook.")
        if kind.startswith("order."):
            order_id = data.get("id")
        elif kind.startswith("charge."):
            order_id = (data.get("order") or {}).get("id")
        else:
            return []
        if not isinstance(order_id, str) or not order_id:
            raise MalformedWebhook("The webhook names no order.")
        hook_id = body.get("id")
        return [
            Notification(
                external_id=order_id,
                status=None,  # read back from Pagar.me
                event_id=str(hook_id) if hook_id is not None else None,
            )
        ]

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        # Nothing to check in the request: its status is never used (see the docstring).
        return None
