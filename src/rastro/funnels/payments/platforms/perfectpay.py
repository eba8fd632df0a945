"""Perfect Pay's sales webhook (help.perfectpay.com.br, "Integração via webhook com a
Perfect Pay"): a JSON body `{"token", "code", "sale_amount", "currency_enum",
"payment_type_enum", "sale_status_enum", "date_approved", "product": {"name"},
"customer": {"full_name", "email", "identification_number", "phone_area_code",
"phone_number"}, "metadata": {"src", "utm_source", "utm_medium", "utm_campaign",
"utm_term", "utm_content"}}`. `code` is the sale, `sale_amount` its value (plan plus
shipping). Statuses (`sale_status_enum`): 1 pending (boleto), 2 approved, 3 in_process,
4 in_mediation, 5 rejected, 6 cancelled, 7 refunded, 8 authorized, 9 charged_back,
10 completed (30 days after approval).

Authentication: the body's `token` is the account's webhook token (no signature, no
timestamp: the status rule and the once-per-status log are the replay protection).

Credential: `api_key` = the token.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rastro.auth.service.credentials import ResolvedCredential
from rastro.funnels.payments.gateways.base import (
    Customer,
    MalformedWebhook,
    SignedRequest,
    WebhookRejected,
    json_body,
    same_secret,
)
from rastro.funnels.payments.platforms.base import (
    Platform,
    PlatformOrder,
    digits_only,
    local_time,
    money,
    phone_br,
    text,
    tracking_of,
)
from rastro.funnels.payments.statuses import PaymentStatus

STATUSES: dict[int, PaymentStatus | None] = {
    1: "pending",
    2: "paid",
    3: None,  # in manual review
    4: None,  # in mediation: not a chargeback (yet)
    5: "failed",
    6: "cancelled",
    7: "refunded",
    8: None,  # a card authorized, not captured
    9: "chargedback",
    10: "paid",  # completed: the guarantee period is over
}
STATUS_KEYS = {
    "pending": 1,
    "approved": 2,
    "in_process": 3,
    "in_mediation": 4,
    "rejected": 5,
    "cancelled": 6,
    "refunded": 7,
    "authorized": 8,
    "charged_back": 9,
    "completed": 10,
}
# payment_type_enum: 1 credit_card, 2 ticket (boleto), 3 paypal, 4 recurrent card,
# 5 free_price, 6 card upsell.
METHODS = {1: "credit_card", 2: "boleto", 4: "credit_card", 6: "credit_card"}
CURRENCIES = {1: "BRL"}


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class PerfectPayPlatform(Platform):
    name: ClassVar[str] = "perfectpay"
    label: ClassVar[str] = "Perfect Pay"
    credential_service: ClassVar[str] = "perfectpay"
    verification: ClassVar[str] = "token field of the body equal to the webhook token"

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        try:
            token = json_body(request).get("token")
        except MalformedWebhook:
            token = None
        if not same_secret(token if isinstance(token, str) else None, credential.api_key):
            raise WebhookRejected("bad token")

    def orders(self, request: SignedRequest) -> list[PlatformOrder]:
        body = json_body(request)
        code = text(body.get("code"))
        amount = money(body.get("sale_amount"))
        status_number = _number(body.get("sale_status_enum"))
        if status_number is None:
            status_number = STATUS_KEYS.get(str(body.get("sale_status_enum_key")))
        if code is None or amount is None or status_number is None:
            raise MalformedWebhook("Not a Perfect Pay sale.")
        customer: dict[str, Any] = body.get("customer") or {}
        product: dict[str, Any] = body.get("product") or {}
        currency = CURRENCIES.get(_number(body.get("currency_enum")) or 0)
        status = STATUSES.get(status_number)
        return [
            PlatformOrder(
                order_id=code,
                status=status,
                amount=amount,
                currency=currency or (text(body.get("currency_enum_key"), 3) or "BRL").upper(),
                product_name=text(product.get("name")),
                customer=Customer(
                    name=text(customer.get("full_name"), 200),
                    email=text(customer.get("email")),
                    phone=phone_br(customer.get("phone_area_code"), customer.get("phone_number")),
                    document=digits_only(customer.get("identification_number")),
                ),
                event_id=None,
                payment_method=METHODS.get(_number(body.get("payment_type_enum")) or 0, "other"),
                tracking=tracking_of(body.get("metadata")),
                paid_at=local_time(body.get("date_approved")) if status == "paid" else None,
            )
        ]
