"""A fake Mercado Pago payments API (Checkout API): `POST /v1/payments` for PIX checked
as Mercado Pago documents it (Bearer access token, the required `X-Idempotency-Key` —
the same key answers the same payment —, `transaction_amount` > 0 with at most two
decimals, `payment_method_id: "pix"`, `payer.email`, an ISO `date_of_expiration`),
answering `pending` / `pending_waiting_transfer` with `point_of_interaction.
transaction_data.{qr_code, qr_code_base64, ticket_url}`; `GET /v1/payments/{id}`.

Tests move a payment (`set_status`) and make its webhook (`webhook`): body
`{"action": "payment.updated", "type": "payment", "data": {"id": …}}`, `data.id` and
`type` in the query string, `x-request-id`, and `x-signature: ts=…,v1=…` with
v1 = HMAC-SHA256(secret, "id:<data.id>;request-id:<x-request-id>;ts:<ts>;")."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake
from tests.fakes.pix_common import Delivery, dynamic_brcode


class FakeMercadoPago(ScriptableFake):
    def __init__(self, access_token: str, webhook_secret: str) -> None:
        super().__init__(self._handle)
        self.access_token = access_token
        self.webhook_secret = webhook_secret
        self.payments: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self._ids = itertools.count(1_300_000_001)

    def _error(self, status: int, message: str) -> Response:
        return JSONResponse({"message": message, "error": "bad_request", "status": status}, status)

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if recorded.headers.get("authorization") != f"Bearer {self.access_token}":
            return self._error(401, "invalid access token")
        if recorded.method == "POST" and recorded.path == "/v1/payments":
            return self._create(recorded)
        if recorded.method == "GET" and recorded.path.startswith("/v1/payments/"):
            found = self.payments.get(recorded.path.rsplit("/", 1)[1])
            if found is None:
                return self._error(404, "Payment not found")
            return JSONResponse(found)
        return self._error(404, "not found")

    def _create(self, recorded: RecordedRequest) -> Response:
        key = recorded.headers.get("x-idempotency-key")
        if not key:
            return self._error(400, "X-Idempotency-Key is required")
        if key in self.by_key:
            return JSONResponse(self.payments[self.by_key[key]], 201)
        body = recorded.json
        if not isinstance(body, dict):
            return self._error(400, "body must be an object")
        amount = body.get("transaction_amount")
        if not isinstance(amount, int | float) or amount <= 0:
            return self._error(400, "transaction_amount must be positive")
        if Decimal(str(amount)).as_tuple().exponent < -2:  # type: ignore[operator]
            return self._error(400, "transaction_amount has more than 2 decimals")
        if body.get("payment_method_id") != "pix":
            return self._error(400, "payment_method_id must be pix")
        payer = body.get("payer")
        if not isinstance(payer, dict) or not payer.get("email"):
            return self._error(400, "payer.email is required")
        expiration = body.get("date_of_expiration")
        try:
            parsed = datetime.fromisoformat(str(expiration))
        except ValueError:
            return self._error(400, "date_of_expiration is invalid")
        if parsed.tzinfo is None:
            return self._error(400, "date_of_expiration needs an offset")
        payment_id = str(next(self._ids))
        location = f"pix.mercadopago.example/qr/{uuid.uuid4().hex}"
        payment = {
            "id": int(payment_id),
            "status": "pending",
            "status_detail": "pending_waiting_transfer",
            "transaction_amount": amount,
            "currency_id": "BRL",
            "external_reference": body.get("external_reference"),
            "date_created": datetime.now().astimezone().isoformat(),
            "date_approved": None,
            "date_of_expiration": expiration,
            "payer": {"email": payer["email"]},
            "point_of_interaction": {
                "type": "OPENPLATFORM",
                "transaction_data": {
                    "qr_code": dynamic_brcode(location, f"{amount:.2f}"),
                    "qr_code_base64": "iVBORw0KGgo=",
                    "ticket_url": f"https://www.mercadopago.example/payments/{payment_id}/ticket",
                },
            },
        }
        self.payments[payment_id] = payment
        self.by_key[key] = payment_id
        return JSONResponse(payment, 201)

    def set_status(self, payment_id: str, status: str, detail: str | None = None) -> None:
        payment = self.payments[payment_id]
        payment["status"] = status
        payment["status_detail"] = detail or status
        if status == "approved":
            payment["date_approved"] = datetime.now().astimezone().isoformat()

    def webhook(
        self,
        payment_id: str,
        *,
        secret: str | None = None,
        ts: int | None = None,
        path: str = "/api/payments/webhook/mercadopago",
    ) -> Delivery:
        request_id = str(uuid.uuid4())
        stamp = str(ts if ts is not None else int(time.time() * 1000))
        manifest = f"id:{payment_id.lower()};request-id:{request_id};ts:{stamp};"
        signature = hmac.new(
            (secret or self.webhook_secret).encode(), manifest.encode(), hashlib.sha256
        ).hexdigest()
        body = {
            "id": int(time.time() * 1000),
            "live_mode": False,
            "type": "payment",
            "date_created": datetime.now().astimezone().isoformat(),
            "user_id": 987654321,
            "api_version": "v1",
            "action": "payment.updated",
            "data": {"id": payment_id},
        }
        return Delivery(
            path=path,
            query={"data.id": payment_id, "type": "payment"},
            headers={"x-signature": f"ts={stamp},v1={signature}", "x-request-id": request_id},
            body=orjson.dumps(body),
        )
