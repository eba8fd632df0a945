"""A fake Pagar.me API v5 (core): HTTP Basic with a known secret key (no password),
`POST /core/v5/orders` with one PIX payment checked as Pagar.me documents it (`items`
with integer `amount` in cents and `description`, `customer` with `name`, `email`,
`document`, `type`; `payments[0].payment_method` "pix" with an integer
`pix.expires_in`), the same `Idempotency-Key` answering the same order; the order's
charge carries `last_transaction.{qr_code, qr_code_url, expires_at}`.
`GET /core/v5/orders/{id}`.

Tests move an order (`set_status`) and make a webhook (`webhook`, unsigned as in v5:
`{"id": "hook_…", "type": "order.paid", "data": {…}}`)."""

from __future__ import annotations

import base64
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake
from tests.fakes.pix_common import Delivery, document_ok, dynamic_brcode


class FakePagarme(ScriptableFake):
    def __init__(self, secret_key: str) -> None:
        super().__init__(self._handle)
        self.secret_key = secret_key
        self.orders: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self._ids = itertools.count(1)

    def _error(self, status: int, message: str) -> Response:
        return JSONResponse({"message": message, "errors": {}}, status)

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        expected = "Basic " + base64.b64encode(f"{self.secret_key}:".encode()).decode()
        if recorded.headers.get("authorization") != expected:
            return self._error(401, "Authorization has been denied for this request.")
        if recorded.method == "POST" and recorded.path == "/core/v5/orders":
            return self._create(recorded)
        if recorded.method == "GET" and recorded.path.startswith("/core/v5/orders/"):
            order = self.orders.get(recorded.path.rsplit("/", 1)[1])
            return JSONResponse(order) if order else self._error(404, "Order not found")
        return self._error(404, "not found")

    def _create(self, recorded: RecordedRequest) -> Response:
        key = recorded.headers.get("idempotency-key")
        if key and key in self.by_key:
            return JSONResponse(self.orders[self.by_key[key]])
        body = recorded.json if isinstance(recorded.json, dict) else {}
        items = body.get("items")
        if not isinstance(items, list) or not items:
            return self._error(422, "items is required")
        for item in items:
            if not isinstance(item.get("amount"), int) or item["amount"] <= 0:
                return self._error(422, "items.amount must be a positive integer (cents)")
            if not item.get("description"):
                return self._error(422, "items.description is required")
        customer = body.get("customer") or {}
        if not customer.get("name") or not customer.get("email"):
            return self._error(422, "customer.name and customer.email are required")
        if not document_ok(customer.get("document")) or customer.get("type") not in (
            "individual",
            "company",
        ):
            return self._error(422, "customer.document and customer.type are required for pix")
        payments = body.get("payments")
        if not isinstance(payments, list) or len(payments) != 1:
            return self._error(422, "one payment is expected")
        pix = payments[0].get("pix") or {}
        if payments[0].get("payment_method") != "pix" or not isinstance(pix.get("expires_in"), int):
            return self._error(422, "payment_method pix with an integer expires_in")
        amount = sum(item["amount"] * int(item.get("quantity") or 1) for item in items)
        number = next(self._ids)
        order_id, charge_id = f"or_{number:016d}", f"ch_{number:016d}"
        expires = datetime.now(UTC) + timedelta(seconds=pix["expires_in"])
        self.orders[order_id] = {
            "id": order_id,
            "code": body.get("code"),
            "amount": amount,
            "currency": "BRL",
            "status": "pending",
            "charges": [
                {
                    "id": charge_id,
                    "amount": amount,
                    "status": "pending",
                    "payment_method": "pix",
                    "paid_at": None,
                    "last_transaction": {
                        "id": f"tran_{number:016d}",
                        "transaction_type": "pix",
                        "status": "waiting_payment",
                        "qr_code": dynamic_brcode(
                            f"pix.pagar.example/qr/{uuid.uuid4().hex}", f"{amount / 100:.2f}"
                        ),
                        "qr_code_url": f"https://api.pagar.example/core/v5/transactions/{number}/qrcode",
                        "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    },
                }
            ],
        }
        if key:
            self.by_key[key] = order_id
        return JSONResponse(self.orders[order_id])

    def set_status(self, order_id: str, order_status: str, charge_status: str) -> None:
        order = self.orders[order_id]
        order["status"] = order_status
        order["charges"][0]["status"] = charge_status
        if charge_status == "paid":
            order["charges"][0]["paid_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def webhook(self, order_id: str, kind: str = "order.paid", *, data: Any = None) -> Delivery:
        body = {
            "id": f"hook_{uuid.uuid4().hex[:16]}",
            "account": {"id": "acc_fake", "name": "Loja"},
            "type": kind,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "data": data if data is not None else self.orders.get(order_id, {"id": order_id}),
        }
        return Delivery(path="/api/payments/webhook/pagarme", headers={}, body=orjson.dumps(body))
