"""How the connectors read what the platforms write: Brazilian phones in every shape,
local times without an offset (Brasília), landing-page UTMs, Perfect Pay's status by key
when the number is missing, and bodies no platform sends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from rastro.auth.service.credentials import ResolvedCredential
from rastro.funnels.payments.gateways.base import MalformedWebhook, SignedRequest, WebhookRejected
from rastro.funnels.payments.platforms import PLATFORMS
from rastro.funnels.payments.platforms.base import local_time, phone_br, query_tracking


def _request(body: object, headers: dict[str, str] | None = None) -> SignedRequest:
    return SignedRequest(
        method="POST", url="http://t/", headers=headers or {}, query={}, body=orjson.dumps(body)
    )


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("(11) 98765-4321",), "+5511987654321"),
        (("+55 21 99988-7766",), "+5521999887766"),
        (("5531988887777",), "+5531988887777"),
        (("21", "999887766"), "+5521999887766"),
        (("1133334444",), "+551133334444"),
        (("12345",), None),  # too short for a Brazilian number
        (("",), None),
    ],
)
def test_brazilian_phones(parts, expected):
    assert phone_br(*parts) == expected


def test_local_times_are_brasilia_unless_they_say_otherwise():
    assert local_time("2026-12-06 10:05:00") == datetime(2026, 12, 6, 13, 5, tzinfo=UTC)
    assert local_time("2026-12-06T10:05:00Z") == datetime(2026, 12, 6, 10, 5, tzinfo=UTC)
    assert local_time("2026-12-06T10:05:00-03:00") == datetime(2026, 12, 6, 13, 5, tzinfo=UTC)
    assert local_time("ontem") is None
    assert local_time(None) is None


def test_landing_page_tracking():
    assert query_tracking("/p?utm_source=fb&utm_campaign=bf&gclid=x&sck=a%7Cb") == {
        "utm_source": "fb",
        "utm_campaign": "bf",
        "sck": "a|b",
    }
    assert query_tracking("/produtos/camiseta") == {}
    assert query_tracking(None) == {}


def test_perfectpay_status_by_key_and_unknown_statuses():
    body = {
        "token": "t",
        "code": "PPCP1",
        "sale_amount": "97.5",
        "sale_status_enum_key": "refunded",
        "customer": {},
    }
    (order,) = PLATFORMS["perfectpay"].orders(_request(body))
    assert (order.status, order.amount, order.currency) == ("refunded", Decimal("97.5"), "BRL")
    (review,) = PLATFORMS["perfectpay"].orders(_request({**body, "sale_status_enum": 4}))
    assert review.status is None  # in mediation: not a chargeback yet
    with pytest.raises(MalformedWebhook):
        PLATFORMS["perfectpay"].orders(_request({"token": "t", "code": "PPCP1"}))


@pytest.mark.parametrize("name", ["eduzz", "yampi", "cakto", "perfectpay", "orders"])
def test_bodies_no_platform_sends(name):
    platform = PLATFORMS[name]
    with pytest.raises(MalformedWebhook):
        platform.orders(SignedRequest("POST", "http://t/", {}, {}, b"not json"))
    with pytest.raises(MalformedWebhook):
        platform.orders(_request([1, 2, 3]))


def test_shopify_topics():
    shopify = PLATFORMS["shopify"]
    order = {"id": 1, "total_price": "10.00", "currency": "BRL", "financial_status": "pending"}
    (cancelled,) = shopify.orders(_request(order, {"x-shopify-topic": "orders/cancelled"}))
    assert cancelled.status == "cancelled"
    partial = {**order, "financial_status": "partially_refunded"}
    (kept,) = shopify.orders(_request(partial, {"x-shopify-topic": "orders/updated"}))
    assert kept.status is None
    assert shopify.orders(_request(order, {"x-shopify-topic": "refunds/create"})) == []
    with pytest.raises(MalformedWebhook):
        shopify.orders(_request({"id": 1}, {"x-shopify-topic": "orders/paid"}))


def test_eduzz_signature_in_hex_or_base64_of_the_same_digest():
    body = orjson.dumps({"id": "e1", "event": "myeduzz.invoice_paid", "data": {}})
    digest = hmac.new(b"key-1", body, hashlib.sha256).digest()
    credential = ResolvedCredential(
        id=uuid.uuid4(),
        service="eduzz",
        api_key="key-1",
        api_secret=None,
        base_url=None,
        settings={},
    )
    eduzz = PLATFORMS["eduzz"]

    def signed(header: str) -> SignedRequest:
        return SignedRequest("POST", "http://t/", {"x-signature": header}, {}, body)

    for header in (digest.hex(), digest.hex().upper(), base64.b64encode(digest).decode()):
        eduzz.verify(signed(header), credential)
    for header in ("", "00" * 32, base64.b64encode(b"x" * 32).decode()):
        with pytest.raises(WebhookRejected):
            eduzz.verify(signed(header), credential)
