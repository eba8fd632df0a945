"""Cakto's order webhooks as Cakto sends them (docs.cakto.com.br, "Guia de Webhooks"):
`{secret, event, data}` with the order in `data` and the webhook's secret in the body."""

from __future__ import annotations

import string
import uuid
from random import choices
from typing import Any

import orjson

from tests.fakes.pix_common import Delivery

EVENT = {"waiting_payment": "pix_gerado", "paid": "purchase_approved"}


class CaktoOrder:
    def __init__(
        self,
        secret: str,
        *,
        amount: float = 97.0,
        parent: CaktoOrder | None = None,
        tracking: dict[str, str] | None = None,
    ) -> None:
        self.secret = secret
        self.order_id = str(uuid.uuid4())
        self.amount = amount
        self.parent = parent
        self.tracking = tracking or {}

    def payload(self, status: str, secret: str) -> dict[str, Any]:
        return {
            "secret": secret,
            "event": EVENT.get(status, status),
            "data": {
                "id": self.order_id,
                "refId": "".join(choices(string.ascii_letters + string.digits, k=7)),
                "customer": {
                    "name": "Eduardo Alves",
                    "birthDate": "2000-04-09",
                    "email": "eduardo@example.com",
                    "phone": "34999998888",
                    "docNumber": "52998224725",
                },
                "offer": {"id": "B8BcHrY", "name": "Oferta", "price": self.amount},
                "offer_type": "orderbump" if self.parent else "main",
                "product": {"name": "Bônus" if self.parent else "Mentoria", "type": "unique"},
                "parent_order": self.parent.order_id if self.parent else "",
                "checkoutUrl": "https://pay.cakto.com.br/B8BcHrY",
                "status": status,
                "baseAmount": self.amount,
                "discount": "0.00",
                "amount": self.amount,
                "fees": 2.49,
                "paymentMethod": "pix",
                "installments": 1,
                "paidAt": "2026-12-06T11:39:57.113068-03:00" if status == "paid" else None,
                "createdAt": "2026-12-06T11:38:32.945877-03:00",
                "sck": None,
                "utm_source": None,
                "utm_medium": None,
                "utm_campaign": None,
                "utm_content": None,
                "utm_term": None,
                **self.tracking,
            },
        }

    def webhook(self, url: str, status: str, *, secret: str | None = None) -> Delivery:
        return Delivery(
            path=url, headers={}, body=orjson.dumps(self.payload(status, secret or self.secret))
        )
