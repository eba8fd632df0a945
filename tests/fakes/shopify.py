"""Shopify's order and dispute webhooks as Shopify sends them (shopify.dev: the Order and
Dispute resources, "Verify webhook deliveries"): the topic in `X-Shopify-Topic`, the
delivery id in `X-Shopify-Webhook-Id`, and `X-Shopify-Hmac-Sha256`, the base64
HMAC-SHA256 of the raw body under the app's client secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import uuid
from typing import Any

import orjson

from tests.fakes.pix_common import Delivery

TOPIC = {
    "pending": "orders/create",
    "paid": "orders/paid",
    "refunded": "orders/updated",
    "voided": "orders/cancelled",
}


class ShopifyOrder:
    def __init__(self, secret: str, *, landing_site: str = "/", attributes: Any = ()) -> None:
        self.secret = secret
        self.order_id = random.randint(10**12, 10**13)
        self.landing_site = landing_site
        self.attributes = [{"name": k, "value": v} for k, v in dict(attributes).items()]

    def payload(self, financial_status: str) -> dict[str, Any]:
        return {
            "id": self.order_id,
            "admin_graphql_api_id": f"gid://shopify/Order/{self.order_id}",
            "name": "#1001",
            "email": "carla@example.com",
            "phone": None,
            "created_at": "2026-12-06T10:00:00-03:00",
            "processed_at": "2026-12-06T10:02:00-03:00",
            "currency": "BRL",
            "total_price": "259.80",
            "subtotal_price": "239.80",
            "financial_status": financial_status,
            "cancelled_at": "2026-12-06T11:00:00-03:00" if financial_status == "voided" else None,
            "landing_site": self.landing_site,
            "referring_site": "https://l.facebook.com/",
            "note_attributes": self.attributes,
            "payment_gateway_names": ["Pix"],
            "customer": {
                "id": 207119551,
                "email": "carla@example.com",
                "first_name": "Carla",
                "last_name": "Souza",
                "phone": "+5531988887777",
            },
            "line_items": [
                {"id": 1, "title": "Camiseta", "price": "199.90", "quantity": 1},
                {"id": 2, "title": "Meia", "price": "39.90", "quantity": 1},
            ],
        }

    def webhook(self, url: str, status: str, *, secret: str | None = None) -> Delivery:
        financial = "pending" if status == "pending" else status
        return self._deliver(url, TOPIC[status], self.payload(financial), secret)

    def dispute(self, url: str, status: str) -> Delivery:
        body = {
            "id": random.randint(10**9, 10**10),
            "order_id": self.order_id,
            "type": "chargeback",
            "currency": "BRL",
            "amount": "259.80",
            "reason": "fraudulent",
            "network_reason_code": "4837",
            "status": status,
            "evidence_due_by": "2026-12-20T19:00:00-03:00",
        }
        return self._deliver(url, "disputes/update", body, None)

    def _deliver(self, url: str, topic: str, payload: Any, secret: str | None) -> Delivery:
        body = orjson.dumps(payload)
        digest = hmac.new((secret or self.secret).encode(), body, hashlib.sha256).digest()
        return Delivery(
            path=url,
            headers={
                "x-shopify-topic": topic,
                "x-shopify-hmac-sha256": base64.b64encode(digest).decode(),
                "x-shopify-shop-domain": "loja-exemplo.myshopify.com",
                "x-shopify-webhook-id": str(uuid.uuid4()),
                "x-shopify-api-version": "2026-10",
            },
            body=body,
        )
