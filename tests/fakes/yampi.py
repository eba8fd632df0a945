"""Yampi's order webhooks as Yampi sends them (docs.yampi.com.br, "Webhooks": the envelope
`{event, time, merchant, resource}`, the order with its includes wrapped in `data`), signed
in `X-Yampi-Hmac-SHA256` with the base64 HMAC-SHA256 of the raw body under the secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from typing import Any

import orjson

from tests.fakes.pix_common import Delivery

NAMES = {
    "waiting_payment": "Aguardando pagamento",
    "paid": "Pagamento aprovado",
    "cancelled": "Cancelado",
    "refused": "Pagamento recusado",
}


class YampiOrder:
    def __init__(self, secret: str, *, utm: dict[str, str] | None = None) -> None:
        self.secret = secret
        self.order_id = random.randint(10**8, 10**9)
        self.utm = utm or {}

    def payload(self, event: str, alias: str) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "id": self.order_id,
            "merchant_id": 739383,
            "number": 1200 + self.order_id % 100,
            "value_total": 136.29,
            "value_products": 124.52,
            "value_shipment": 11.77,
            "is_upsell": False,
            "status": {"data": {"id": 3, "alias": alias, "name": NAMES[alias]}},
            "payments": [{"alias": "billet", "name": "Boleto Bancário"}],
            "utm_source": None,
            "utm_medium": None,
            "utm_campaign": None,
            "utm_content": None,
            "utm_term": None,
            "customer": {
                "data": {
                    "id": 179128559,
                    "name": "João Pedro Santos",
                    "first_name": "João",
                    "last_name": "Santos",
                    "email": "joao@example.com",
                    "cpf": "52998224725",
                    "phone": {
                        "area_code": "12",
                        "number": "988815499",
                        "full_number": "12988815499",
                        "formated_number": "(12) 98881-5499",
                    },
                }
            },
            "items": {
                "data": [
                    {
                        "id": 124473304,
                        "quantity": 1,
                        "price": 124.52,
                        "sku": {"data": {"id": 151463680, "title": "Dobradiça Inox"}},
                    }
                ]
            },
        }
        resource.update(self.utm)
        return {
            "event": event,
            "time": "2026-12-06 11:06:19",
            "merchant": {"id": 739383, "alias": "loja-exemplo"},
            "resource": resource,
        }

    def webhook(self, url: str, event: str, alias: str, *, secret: str | None = None) -> Delivery:
        body = orjson.dumps(self.payload(event, alias))
        digest = hmac.new((secret or self.secret).encode(), body, hashlib.sha256).digest()
        return Delivery(
            path=url, headers={"x-yampi-hmac-sha256": base64.b64encode(digest).decode()}, body=body
        )
