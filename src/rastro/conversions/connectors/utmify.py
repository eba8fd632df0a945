"""UTMify order postback: `POST /api-credentials/orders` with the `x-api-token` header
(platforms.md §5).

UTMify is an attribution dashboard, not an ad platform: it takes each sale as an order
with the UTMs of the click that brought the buyer, and its status changes (paid, then
refunded or charged back) as new posts of the same order. So one conversion is one order,
one order per request (UTMify documents no batch endpoint), `orderId` is the
conversion's order id and `createdAt` its conversion date, identical on every update as
UTMify requires. A refund (`POST /api/conversions/{id}/refund`) sets the conversion's
`order_status` and queues the delivery again; the order is built at send time from the
current status.

UTMify wants the customer in plain text (it is not hashed on the wire), so the sync log
keeps only hashes of the e-mail and phone (`loggable`). Age limits: UTMify takes orders
up to 7 days after `createdAt`, refunds and chargebacks up to 45, and warns that breaking
them can get the credential blocked, so an order past them expires unsent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

import httpx
import phonenumbers

from rastro.auth.service.credentials import ResolvedCredential
from rastro.conversions import normalize
from rastro.conversions.connectors.base import (
    BatchOutcome,
    Connector,
    ConnectorError,
    ConversionRecord,
    InvalidConversion,
)
from rastro.conversions.reasons import Reason
from rastro.core.http import HttpClient, retry_after_seconds

PATH = "/api-credentials/orders"
PAYMENT_METHODS = frozenset({"credit_card", "boleto", "pix", "paypal", "free_price"})
# The CRM does not know how a deal was paid; PIX is the default of Rastro's funnels (seed
# 002). A credential's `payment_method` setting overrides it.
DEFAULT_PAYMENT_METHOD = "pix"
DEFAULT_PLATFORM_NAME = "Rastro"
CURRENCIES = frozenset(
    {"BRL", "USD", "EUR", "GBP", "ARS", "CAD", "COP", "MXN", "PYG", "CLP", "PEN", "PLN"}
)
MAX_AGE = {
    "paid": timedelta(days=7),
    "refunded": timedelta(days=45),
    "chargedback": timedelta(days=45),
}
TRACKING_KEYS = (
    "src",
    "sck",
    "utm_source",
    "utm_campaign",
    "utm_medium",
    "utm_content",
    "utm_term",
)


def utc_text(moment: datetime) -> str:
    """UTMify's date format: `YYYY-MM-DD HH:MM:SS` in UTC (from an aware datetime)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _cents(value: Decimal | None) -> int:
    if value is None:
        return 0
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _phone_and_country(e164: str | None) -> tuple[str | None, str | None]:
    """UTMify's examples write Brazilian phones nationally (`11987654321`); other numbers
    keep their country code, digits only."""
    if not e164:
        return None, None
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in e164 if ch.isdigit()) or None, None
    country = phonenumbers.region_code_for_number(number)
    national = str(number.national_number)
    if number.country_code == 55:
        return national, country or "BR"
    return f"{number.country_code}{national}", country


class UtmifyConnector(Connector):
    platform: ClassVar[str] = "utmify"
    credential_service: ClassVar[str] = "utmify"
    batch_limit: ClassVar[int] = 1
    reports_order_status: ClassVar[bool] = True

    def unmatchable(self, record: ConversionRecord) -> str | None:
        if not record.email:
            return Reason(
                "UTMify orders need the customer's e-mail.", "needs_email", platform="utmify"
            )
        return None

    def window_click_time(self, record: ConversionRecord) -> datetime | None:
        # UTMify attributes by the UTMs sent with the order; there is no click window.
        return None

    def too_old(self, record: ConversionRecord, now: datetime) -> str | None:
        limit = MAX_AGE.get(record.order_status, MAX_AGE["paid"])
        if now - record.conversion_date > limit:
            kind = "paid orders" if record.order_status == "paid" else "refunds and chargebacks"
            return Reason(
                f"UTMify accepts {kind} up to {limit.days} days after the order's createdAt; "
                f"this order is from {record.conversion_date.isoformat(timespec='seconds')}.",
                "conversion_too_old",
                platform="utmify",
                days=limit.days,
                since=record.conversion_date.isoformat(),
            )
        return None

    def event(self, record: ConversionRecord) -> dict[str, Any]:
        currency = record.currency.upper()
        if currency not in CURRENCIES:
            raise InvalidConversion(f"UTMify does not take {currency} orders.")
        if not record.email:
            raise InvalidConversion("UTMify orders need the customer's e-mail.")
        phone, country = _phone_and_country(record.phone)
        customer: dict[str, Any] = {
            "name": record.name or record.email.split("@", 1)[0],
            "email": record.email,
            "phone": phone,
            "document": None,
        }
        if country:
            customer["country"] = country
        cents = _cents(record.value)
        product_id = str(record.action.get("action_id") or record.conversion_name)
        product_name = str(record.action.get("event_name") or record.conversion_name)
        created_at = utc_text(record.conversion_date)
        refunded = record.order_status in ("refunded", "chargedback")
        refunded_at = record.refunded_at if refunded else None
        return {
            "orderId": record.order_id,
            "platform": DEFAULT_PLATFORM_NAME,
            "paymentMethod": DEFAULT_PAYMENT_METHOD,
            "status": record.order_status,
            "createdAt": created_at,
            # A conversion is a closed sale: approved when it happened.
            "approvedDate": created_at,
            "refundedAt": utc_text(refunded_at) if refunded_at else None,
            "customer": customer,
            "products": [
                {
                    "id": product_id,
                    "name": product_name,
                    "planId": None,
                    "planName": None,
                    "quantity": 1,
                    "priceInCents": cents,
                }
            ],
            "trackingParameters": {key: record.tracking.get(key) for key in TRACKING_KEYS},
            "commission": {
                "totalPriceInCents": cents,
                "gatewayFeeInCents": 0,
                "userCommissionInCents": cents,
                "currency": currency,
            },
        }

    def loggable(self, event: dict[str, Any]) -> dict[str, Any]:
        customer = dict(event.get("customer") or {})
        kept: dict[str, Any] = {}
        if customer.get("email"):
            kept["email_sha256"] = normalize.sha256_hex(str(customer["email"]).strip().lower())
        if customer.get("phone"):
            kept["phone_sha256"] = normalize.sha256_hex(str(customer["phone"]))
        if customer.get("country"):
            kept["country"] = customer["country"]
        return {**event, "customer": kept}

    def _options(self, credential: ResolvedCredential) -> dict[str, Any]:
        settings = credential.settings
        method = str(settings.get("payment_method") or DEFAULT_PAYMENT_METHOD)
        if method not in PAYMENT_METHODS:
            raise ConnectorError(
                f"The UTMify credential's payment_method must be one of {sorted(PAYMENT_METHODS)}."
            )
        options: dict[str, Any] = {
            "platform": str(settings.get("platform_name") or DEFAULT_PLATFORM_NAME),
            "paymentMethod": method,
        }
        if settings.get("is_test"):
            options["isTest"] = True
        return options

    def request_summary(self, credential: ResolvedCredential) -> dict[str, Any]:
        return {"method": "POST", "path": PATH, **self._options(credential)}

    async def send(
        self, events: list[dict[str, Any]], credential: ResolvedCredential, http: HttpClient
    ) -> BatchOutcome:
        if len(events) != 1:
            raise ConnectorError("UTMify takes one order per request.")
        body = {**events[0], **self._options(credential)}
        response = await http.post(PATH, json=body, headers={"x-api-token": credential.api_key})
        return self.read(response)

    def read(self, response: httpx.Response) -> BatchOutcome:
        """UTMify documents no response body: any 2xx is accepted; 408/429/5xx may pass
        later; another 4xx is a rejected order (or token)."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {"body": response.text[:2000]} if response.text else {}
        status = response.status_code
        if 200 <= status < 300:
            return BatchOutcome(ok=True, http_status=status, response=data)
        detail = data.get("message") or data.get("error") or data.get("body") or "no message"
        return BatchOutcome(
            ok=False,
            http_status=status,
            response=data,
            error=f"UTMify answered HTTP {status}: {detail}"[:2000],
            transient=status >= 500 or status in {408, 429},
            retry_after=retry_after_seconds(response),
        )
