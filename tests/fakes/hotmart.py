"""Hotmart's purchase webhooks as Hotmart sends them (version 2.0.0, the account's hottok
in `X-HOTMART-HOTTOK`): tests build a sale's events and deliver them to the app."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from tests.fakes.pix_common import Delivery

STATUS = {
    "PURCHASE_APPROVED": "APPROVED",
    "PURCHASE_COMPLETE": "COMPLETED",
    "PURCHASE_REFUNDED": "REFUNDED",
    "PURCHASE_CHARGEBACK": "CHARGEBACK",
    "PURCHASE_CANCELED": "CANCELED",
    "PURCHASE_BILLET_PRINTED": "BILLET_PRINTED",
    "PURCHASE_PROTEST": "DISPUTE",
    "PURCHASE_OUT_OF_SHOPPING_CART": "OUT_OF_SHOPPING_CART",
}


class HotmartSale:
    def __init__(
        self,
        hottok: str,
        *,
        price: float = 197.0,
        origin: dict[str, str] | None = None,
        bump_of: HotmartSale | None = None,
    ) -> None:
        self.hottok = hottok
        self.transaction = f"HP{uuid.uuid4().int % 10**12:012d}"
        self.price = price
        self.origin = origin or {}
        self.bump_of = bump_of

    def payload(self, event: str) -> dict[str, Any]:
        now = int(time.time() * 1000)
        return {
            "id": str(uuid.uuid4()),
            "creation_date": now,
            "event": event,
            "version": "2.0.0",
            "data": {
                "product": {"id": 1234567, "ucode": str(uuid.uuid4()), "name": "Curso de Python"},
                "buyer": {
                    "email": "comprador@example.com",
                    "name": "Ana Compradora",
                    "checkout_phone": "+5511912345678",
                    "document": "52998224725",
                },
                "purchase": {
                    "transaction": self.transaction,
                    "status": STATUS.get(event, "APPROVED"),
                    "order_date": now - 60_000,
                    "approved_date": now,
                    "price": {"value": self.price, "currency_value": "BRL"},
                    "payment": {"type": "PIX", "installments_number": 1},
                    "origin": self.origin,
                    "order_bump": (
                        {
                            "is_order_bump": True,
                            "parent_purchase_transaction": self.bump_of.transaction,
                        }
                        if self.bump_of
                        else {"is_order_bump": False}
                    ),
                },
            },
        }

    def webhook(self, url: str, event: str, *, hottok: str | None = None) -> Delivery:
        return Delivery(
            path=url,
            headers={"x-hotmart-hottok": hottok if hottok is not None else self.hottok},
            body=orjson.dumps(self.payload(event)),
        )
