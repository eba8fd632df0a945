"""A fake Asaas API v3 checked as Asaas documents it: the `access_token` header of a
known key, `POST /v3/customers` (`name`, `cpfCnpj` of 11 or 14 digits),
`POST /v3/payments` (an existing `customer`, `billingType` PIX, `value` > 0, `dueDate`
as YYYY-MM-DD), `GET /v3/payments/{id}/pixQrCode` (`encodedImage`, `payload`,
`expirationDate`) and `GET /v3/payments/{id}`.

Tests move a payment (`set_status`) and make its webhook (`webhook`): `{"id": "evt_…",
"event": …, "payment": {…}}` with the webhook's token in `asaas-access-token`."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake
from tests.fakes.pix_common import Delivery, document_ok, dynamic_brcode

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FakeAsaas(ScriptableFake):
    def __init__(self, api_key: str, webhook_token: str) -> None:
        super().__init__(self._handle)
        self.api_key = api_key
        self.webhook_token = webhook_token
        self.customers: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def _errors(self, status: int, description: str) -> Response:
        return JSONResponse(
            {"errors": [{"code": "invalid_action", "description": description}]}, status
        )

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if recorded.headers.get("access_token") != self.api_key:
            return JSONResponse({"errors": [{"code": "invalid_access_token"}]}, 401)
        body = recorded.json if isinstance(recorded.json, dict) else {}
        path = recorded.path
        if recorded.method == "POST" and path == "/v3/customers":
            if not body.get("name") or not document_ok(body.get("cpfCnpj")):
                return self._errors(400, "name and a valid cpfCnpj are required")
            customer_id = f"cus_{next(self._ids):012d}"
            self.customers[customer_id] = {"object": "customer", "id": customer_id, **body}
            return JSONResponse(self.customers[customer_id])
        if recorded.method == "POST" and path == "/v3/payments":
            if body.get("customer") not in self.customers:
                return self._errors(400, "customer not found")
            if body.get("billingType") != "PIX":
                return self._errors(400, "billingType must be PIX here")
            value = body.get("value")
            if not isinstance(value, int | float) or value <= 0:
                return self._errors(400, "value must be positive")
            if not isinstance(body.get("dueDate"), str) or not DATE.match(body["dueDate"]):
                return self._errors(400, "dueDate must be YYYY-MM-DD")
            payment_id = f"pay_{next(self._ids):012d}"
            self.payments[payment_id] = {
                "object": "payment",
                "id": payment_id,
                "customer": body["customer"],
                "value": value,
                "billingType": "PIX",
                "status": "PENDING",
                "dueDate": body["dueDate"],
                "paymentDate": None,
                "confirmedDate": None,
                "invoiceUrl": f"https://sandbox.asaas.example/i/{payment_id}",
                "externalReference": body.get("externalReference"),
                "deleted": False,
            }
            return JSONResponse(self.payments[payment_id])
        match = re.fullmatch(r"/v3/payments/(pay_\d+)(/pixQrCode)?", path)
        if recorded.method == "GET" and match:
            payment = self.payments.get(match.group(1))
            if payment is None:
                return self._errors(404, "payment not found")
            if match.group(2):
                due = datetime.fromisoformat(payment["dueDate"]) + timedelta(hours=23, minutes=59)
                return JSONResponse(
                    {
                        "encodedImage": "iVBORw0KGgo=",
                        "payload": dynamic_brcode(
                            f"pix.asaas.example/qr/{uuid.uuid4().hex}", f"{payment['value']:.2f}"
                        ),
                        "expirationDate": due.strftime("%Y-%m-%d %H:%M:%S"),
                    }
                )
            return JSONResponse(payment)
        return self._errors(404, "not found")

    def set_status(self, payment_id: str, status: str) -> None:
        payment = self.payments[payment_id]
        payment["status"] = status
        if status in ("RECEIVED", "CONFIRMED"):
            payment["paymentDate"] = payment["confirmedDate"] = datetime.now().strftime(
                "%Y-%m-%d %H:%M:%S"
            )

    def webhook(self, payment_id: str, event: str, *, token: str | None = None) -> Delivery:
        body = {
            "id": f"evt_{uuid.uuid4().hex}&{next(self._ids)}",
            "event": event,
            "dateCreated": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "payment": self.payments.get(payment_id, {"object": "payment", "id": payment_id}),
        }
        return Delivery(
            path="/api/payments/webhook/asaas",
            headers={"asaas-access-token": token if token is not None else self.webhook_token},
            body=orjson.dumps(body),
        )
