"""A fake UTMify orders API (`POST /api-credentials/orders`, platforms.md §5) that checks
a request the way UTMify documents it: the `x-api-token` header of a known credential
(401 otherwise), every field of the order with its enum or format (`paymentMethod`,
`status`, dates as `YYYY-MM-DD HH:MM:SS` in UTC, `priceInCents` integers, the seven
`trackingParameters`, a plain-text customer e-mail), the age limits (7 days after
`createdAt`, 45 for refunds and chargebacks) and an unchanged `createdAt` on every
update of the same `orderId`. Orders are upserted by `orderId`, like UTMify.

UTMify documents no response body; the fake answers 200 `{"OK": true}` and 400 with a
`message`. Tests script failures before the real answer (429, 5xx, a hang).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake

PAYMENT_METHODS = {"credit_card", "boleto", "pix", "paypal", "free_price"}
STATUSES = {"waiting_payment", "paid", "refused", "refunded", "chargedback"}
CURRENCIES = {"BRL", "USD", "EUR", "GBP", "ARS", "CAD", "COP", "MXN", "PYG", "CLP", "PEN", "PLN"}
TRACKING_KEYS = {
    "src",
    "sck",
    "utm_source",
    "utm_campaign",
    "utm_medium",
    "utm_content",
    "utm_term",
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PATH = "/api-credentials/orders"


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not DATE.match(value):
        return None
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def order_problem(order: Any, now: datetime) -> str | None:
    """Why UTMify would refuse this order (None when it takes it)."""
    if not isinstance(order, dict):
        return "the body must be an order object"
    for key in ("orderId", "platform", "paymentMethod", "status", "createdAt", "customer"):
        if not order.get(key):
            return f"{key} is required"
    for key in ("products", "trackingParameters", "commission"):
        if key not in order:
            return f"{key} is required"
    if not isinstance(order["orderId"], str):
        return "orderId must be a string"
    if order["paymentMethod"] not in PAYMENT_METHODS:
        return "paymentMethod is invalid"
    if order["status"] not in STATUSES:
        return "status is invalid"
    created = _date(order["createdAt"])
    if created is None:
        return "createdAt must be YYYY-MM-DD HH:MM:SS (UTC)"
    for key in ("approvedDate", "refundedAt"):
        if key not in order:
            return f"{key} is required (null when unknown)"
        if order[key] is not None and _date(order[key]) is None:
            return f"{key} must be YYYY-MM-DD HH:MM:SS (UTC) or null"
    if order["status"] == "paid" and order["approvedDate"] is None:
        return "approvedDate is required for paid orders"
    if order["status"] in ("refunded", "chargedback") and order["refundedAt"] is None:
        return "refundedAt is required for refunded and chargedback orders"
    limit = timedelta(days=45 if order["status"] in ("refunded", "chargedback") else 7)
    if now - created > limit:
        return f"createdAt is more than {limit.days} days old"
    if created > now + timedelta(minutes=5):
        return "createdAt is in the future"
    customer = order["customer"]
    if not isinstance(customer, dict):
        return "customer must be an object"
    if not isinstance(customer.get("name"), str) or not customer["name"]:
        return "customer.name is required"
    if not isinstance(customer.get("email"), str) or not EMAIL.match(customer["email"]):
        return "customer.email must be an e-mail address (plain text)"
    for key in ("phone", "document"):
        if key not in customer:
            return f"customer.{key} is required (null when unknown)"
        if customer[key] is not None and not re.fullmatch(r"\d{8,15}", str(customer[key])):
            return f"customer.{key} must be digits"
    if "country" in customer and not re.fullmatch(r"[A-Z]{2}", str(customer["country"])):
        return "customer.country must be ISO 3166-1 alpha-2"
    products = order["products"]
    if not isinstance(products, list) or not products:
        return "products must hold at least one product"
    for index, product in enumerate(products):
        for key in ("id", "name", "planId", "planName", "quantity", "priceInCents"):
            if not isinstance(product, dict) or key not in product:
                return f"products[{index}].{key} is required"
        if not isinstance(product["priceInCents"], int) or product["priceInCents"] < 0:
            return f"products[{index}].priceInCents must be an integer number of cents"
        if not isinstance(product["quantity"], int) or product["quantity"] < 1:
            return f"products[{index}].quantity must be a positive integer"
    tracking = order["trackingParameters"]
    if not isinstance(tracking, dict) or set(tracking) != TRACKING_KEYS:
        return f"trackingParameters must have exactly {sorted(TRACKING_KEYS)}"
    if not all(value is None or isinstance(value, str) for value in tracking.values()):
        return "trackingParameters values are strings or null"
    commission = order["commission"]
    for key in ("totalPriceInCents", "gatewayFeeInCents", "userCommissionInCents"):
        if not isinstance(commission, dict) or not isinstance(commission.get(key), int):
            return f"commission.{key} must be an integer number of cents"
    if "currency" in commission and commission["currency"] not in CURRENCIES:
        return "commission.currency is not supported"
    if "isTest" in order and not isinstance(order["isTest"], bool):
        return "isTest must be a boolean"
    return None


class FakeUtmify(ScriptableFake):
    def __init__(self, token: str) -> None:
        super().__init__(self._handle)
        self.token = token
        self.orders: dict[str, dict[str, Any]] = {}  # orderId → the latest accepted post
        self.accepted: list[dict[str, Any]] = []  # every accepted post, in order

    @property
    def order_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == PATH]

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.method != "POST" or recorded.path != PATH:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        if request.headers.get("x-api-token") != self.token:
            return JSONResponse({"message": "Invalid API token"}, status_code=401)
        order = recorded.json
        problem = order_problem(order, datetime.now(UTC))
        if problem is None:
            known = self.orders.get(order["orderId"])
            if known is not None and known["createdAt"] != order["createdAt"]:
                problem = "createdAt must be identical on every update of an order"
        if problem is not None:
            return JSONResponse({"message": problem}, status_code=400)
        self.orders[order["orderId"]] = order
        self.accepted.append(order)
        return JSONResponse({"OK": True})
