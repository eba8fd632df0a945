"""Eduzz's webhook deliveries as the Developer Hub sends them (github.com/eduzz/eduzz-webhook-docs,
`events/myeduzz/invoice_*.md`): `{id, event, sentDate, data}` with the invoice in `data`,
signed in `x-signature` with the hex HMAC-SHA256 of the raw body under the signing key."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

import orjson

from tests.fakes.pix_common import Delivery

STATUS = {
    "myeduzz.invoice_waiting_payment": "waiting_payment",
    "myeduzz.invoice_paid": "paid",
    "myeduzz.invoice_refunded": "refunded",
    "myeduzz.invoice_canceled": "canceled",
}


class EduzzInvoice:
    def __init__(self, key: str, *, utm: dict[str, str] | None = None) -> None:
        self.key = key
        self.invoice_id = str(uuid.uuid4().int % 10**8)
        self.utm = utm or {}

    def payload(self, event: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.invoice_id,
            "status": STATUS.get(event, "paid"),
            "producer": {"id": "123456", "email": "produtor@example.com", "name": "Produtor"},
            "buyer": {
                "name": "Alice Compradora",
                "email": "alice@example.com",
                "phone": "1133334444",
                "phone2": "",
                "cellphone": "(11) 98765-4321",
            },
            "createdAt": "2026-12-06T14:45:00.000Z",
            "price": {"currency": "BRL", "value": 301.5},
            "paymentMethod": "pix",
            "installments": 1,
            "items": [
                {"productId": "P567", "name": "Curso de Excel", "price": {"value": 150.75}},
                {"productId": "P789", "name": "Planilhas prontas", "price": {"value": 150.75}},
            ],
        }
        if self.utm:
            data["utm"] = self.utm
        return {
            "id": uuid.uuid4().hex[:24],
            "event": event,
            "sentDate": "2026-12-06T14:45:00.000Z",
            "data": data,
        }

    def webhook(self, url: str, event: str, *, key: str | None = None) -> Delivery:
        body = orjson.dumps(self.payload(event))
        signature = hmac.new((key or self.key).encode(), body, hashlib.sha256).hexdigest()
        return Delivery(path=url, headers={"x-signature": signature}, body=body)
