"""Kiwify's order webhooks as Kiwify sends them: the order as JSON and the `signature`
query parameter, the hex HMAC-SHA1 of the raw body keyed with the webhook token."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

import orjson

from tests.fakes.pix_common import Delivery

EVENTS = {
    "waiting_payment": "pix_created",
    "paid": "order_approved",
    "refunded": "order_refunded",
    "chargedback": "chargeback",
    "refused": "order_rejected",
}


class KiwifyOrder:
    def __init__(
        self, token: str, *, cents: int = 9700, tracking: dict[str, str] | None = None
    ) -> None:
        self.token = token
        self.order_id = str(uuid.uuid4())
        self.cents = cents
        self.tracking = tracking or {}

    def payload(self, status: str) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "order_ref": self.order_id[:7],
            "order_status": status,
            "webhook_event_type": EVENTS.get(status, status),
            "payment_method": "pix",
            "created_at": "2026-12-06 10:00",
            "approved_date": "2026-12-06 10:05" if status == "paid" else None,
            "Product": {"product_id": str(uuid.uuid4()), "product_name": "Mentoria"},
            "Customer": {
                "full_name": "Bruno Comprador",
                "email": "bruno@example.com",
                "mobile": "+5521987654321",
                "CPF": "52998224725",
            },
            "Commissions": {"charge_amount": self.cents, "currency": "BRL"},
            "TrackingParameters": {
                "src": None,
                "sck": None,
                "utm_source": None,
                "utm_medium": None,
                "utm_campaign": None,
                "utm_content": None,
                "utm_term": None,
                "s1": None,
                **self.tracking,
            },
        }

    def webhook(self, url: str, status: str, *, token: str | None = None) -> Delivery:
        body = orjson.dumps(self.payload(status))
        signature = hmac.new((token or self.token).encode(), body, hashlib.sha1).hexdigest()
        return Delivery(path=url, headers={}, body=body, query={"signature": signature})
