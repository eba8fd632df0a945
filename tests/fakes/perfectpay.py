"""Perfect Pay's sales webhook as Perfect Pay sends it (help.perfectpay.com.br,
"Integração via webhook com a Perfect Pay"): the sale as JSON with the account's
`token` in the body; statuses and payment types as the documented enums."""

from __future__ import annotations

import random
import string
from typing import Any

import orjson

from tests.fakes.pix_common import Delivery

STATUS = {"pending": (1, "pending"), "paid": (2, "approved"), "refunded": (7, "refunded")}
STATUS.update({"chargedback": (9, "charged_back"), "completed": (10, "completed")})


class PerfectPaySale:
    def __init__(self, token: str, *, metadata: dict[str, str] | None = None) -> None:
        self.token = token
        self.code = "PPCP" + "".join(random.choices(string.ascii_uppercase + string.digits, k=10))
        self.metadata = metadata or {}

    def payload(self, status: str, token: str) -> dict[str, Any]:
        number, key = STATUS[status]
        return {
            "token": token,
            "code": self.code,
            "sale_amount": 226.9,
            "currency_enum": 1,
            "coupon_code": None,
            "installments": 1,
            "installment_amount": None,
            "shipping_type_enum": 1,
            "shipping_amount": None,
            "payment_method_enum": 2,
            "payment_type_enum": 2,
            "billet_url": "https://boleto.example.com/123",
            "billet_number": "23791229286001337720991000046903295700000013629",
            "billet_expiration": "2026-12-09 23:59:59",
            "quantity": 1,
            "sale_status_enum": number,
            "sale_status_enum_key": key,
            "sale_status_detail": key,
            "date_created": "2026-12-06 10:00:00",
            "date_approved": "2026-12-06 10:05:00" if number in (2, 10) else None,
            "product": {"code": "PPPBDLGP", "name": "Método Emagrecer", "external_reference": None},
            "plan": {"code": "PPLQQ", "name": "Plano único", "quantity": 1},
            "customer": {
                "customer_type_enum": 1,
                "full_name": "Daniela Lima",
                "email": "daniela@example.com",
                "identification_type": "CPF",
                "identification_number": "529.982.247-25",
                "phone_area_code": "21",
                "phone_number": "999887766",
                "phone_formated": "(21) 99988-7766",
                "country": "BR",
            },
            "metadata": {
                "src": None,
                "utm_source": None,
                "utm_medium": None,
                "utm_campaign": None,
                "utm_term": None,
                "utm_content": None,
                "utm_perfect": None,
                **self.metadata,
            },
        }

    def webhook(self, url: str, status: str, *, token: str | None = None) -> Delivery:
        body = orjson.dumps(self.payload(status, token or self.token))
        return Delivery(path=url, headers={}, body=body)
