"""The payments API with the built-in static PIX: a charge is a valid BR Code with its QR
image, the same idempotency key is the same payment, bad input is a 422 in the error
envelope with nothing stored, another organization sees nothing, a static PIX is
confirmed by hand, and pending charges past their time expire."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rastro.core.db import SYSTEM
from rastro.funnels.payments.models import Payment
from rastro.funnels.payments.service import payments as payments_service
from tests.funnels.payments import factories as f
from tests.funnels.payments.brcode_decoder import decode


async def test_static_pix_charge_is_a_brcode(client, databases):
    org = await f.make_org(client, databases)
    await f.add_static_pix(client, org)
    payment = await f.create_payment(client, org, amount="97.50")
    assert payment["status"] == "pending"
    assert payment["gateway"] == "static_pix"
    assert payment["purchase_event_id"] == f"purchase-{payment['id']}"
    decoded = decode(payment["pix_copy_paste"])
    assert decoded.crc_ok
    assert decoded.account["01"] == f.STATIC_KEY
    assert decoded.fields["54"] == "97.50"
    assert decoded.fields["59"] == "LOJA EXEMPLO"
    assert decoded.fields["60"] == "SAO PAULO"
    assert decoded.additional["05"] == uuid.UUID(payment["id"]).hex[:25]
    assert payment["pix_qr_svg"].startswith("<svg")
    assert datetime.fromisoformat(payment["expires_at"]) > datetime.now(UTC)
    # The buyer's data is stored but never part of the answer.
    assert "customer_data" not in payment


async def test_same_idempotency_key_is_the_same_payment(client, databases):
    org = await f.make_org(client, databases)
    await f.add_static_pix(client, org)
    first = await f.create_payment(client, org, headers={"Idempotency-Key": "checkout-1"})
    again = await f.create_payment(
        client, org, expect=200, headers={"Idempotency-Key": "checkout-1"}
    )
    assert again["id"] == first["id"]
    by_body = await f.create_payment(client, org, idempotency_key="submission-9")
    by_body_again = await f.create_payment(client, org, expect=200, idempotency_key="submission-9")
    assert by_body_again["id"] == by_body["id"]
    assert len(await f.rows(databases, org, Payment)) == 2


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"amount": "0"}, "body.amount"),
        ({"amount": "-5"}, "body.amount"),
        ({"amount": "10.001"}, "body.amount"),
        ({"customer": {"document": "529.982.247-26"}}, "body.customer.document"),
        ({"customer": {"email": "not-an-email"}}, "body.customer.email"),
        ({"currency": "USD"}, "body.currency"),
        ({"product_name": ""}, "body.product_name"),
        ({"expires_in": 10}, "body.expires_in"),
        # An order bump is priced like a product, and a ticked one is part of the amount.
        (
            {"order_bump": {"product_name": "Y", "amount": "0", "accepted": True}},
            "body.order_bump.amount",
        ),
        ({"order_bump": {"product_name": "Y", "amount": "10.00", "accepted": True}}, "body"),
        (
            {"order_bump": {"product_name": "", "amount": "1.00", "accepted": False}},
            "body.order_bump.product_name",
        ),
    ],
)
async def test_bad_input_is_a_422(client, databases, body, loc):
    org = await f.make_org(client, databases)
    await f.add_static_pix(client, org)
    response = await client.post(
        "/api/payments/create",
        headers=org.headers,
        json={"amount": "10.00", "product_name": "X", **body},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert loc in [detail["loc"] for detail in error["details"]]
    assert await f.rows(databases, org, Payment) == []


async def test_the_order_bump_is_recorded_apart(client, databases):
    org = await f.make_org(client, databases)
    await f.add_static_pix(client, org)
    bump = {"product_name": "Planilha", "amount": "27.00"}
    taken = await f.create_payment(
        client, org, amount="124.00", order_bump={**bump, "accepted": True}
    )
    assert (taken["amount"], taken["product_name"]) == ("124.00", "Curso de Python")
    assert (taken["bump_product_name"], taken["bump_amount"], taken["bump_accepted"]) == (
        "Planilha",
        "27.00",
        True,
    )
    assert decode(taken["pix_copy_paste"]).fields["54"] == "124.00"
    declined = await f.create_payment(client, org, order_bump={**bump, "accepted": False})
    assert (declined["bump_amount"], declined["bump_accepted"]) == ("27.00", False)
    plain = await f.create_payment(client, org)
    assert (plain["bump_product_name"], plain["bump_amount"], plain["bump_accepted"]) == (
        None,
        None,
        None,
    )


async def test_merchant_name_with_accents_is_refused_with_nothing_stored(client, databases):
    org = await f.make_org(client, databases)
    await f.add_static_pix(client, org, name="José Conceição")
    response = await client.post(
        "/api/payments/create", headers=org.headers, json={"amount": "10.00", "product_name": "X"}
    )
    assert response.status_code == 422
    (detail,) = response.json()["error"]["details"]
    assert detail["loc"] == "merchant_name"
    assert "JOSE CONCEICAO" in detail["message"]
    assert await f.rows(databases, org, Payment) == []


async def test_no_gateway_and_foreign_credential_are_422(client, databases):
    org = await f.make_org(client, databases)
    other = await f.make_org(client, databases)
    response = await client.post(
        "/api/payments/create", headers=org.headers, json={"amount": "10.00", "product_name": "X"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == "credential_id"
    foreign = await f.add_static_pix(client, other)
    response = await client.post(
        "/api/payments/create",
        headers=org.headers,
        json={"amount": "10.00", "product_name": "X", "credential_id": foreign},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_reference"
    # A credential of another service is not a gateway.
    utmify = await f.add_credential(client, org, "utmify", api_key="utmify-token-123456")
    response = await client.post(
        "/api/payments/create",
        headers=org.headers,
        json={"amount": "10.00", "product_name": "X", "credential_id": utmify},
    )
    assert response.status_code == 422
    assert "not a payment gateway" in response.json()["error"]["details"][0]["message"]


async def test_another_organization_sees_nothing(client, databases):
    org = await f.make_org(client, databases)
    other = await f.make_org(client, databases)
    await f.add_static_pix(client, org)
    payment = await f.create_payment(client, org)
    for path in (f"/api/payments/{payment['id']}", f"/api/payments/{payment['id']}/status"):
        response = await client.get(path, headers=other.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    response = await client.post(f"/api/payments/{payment['id']}/confirm", headers=other.headers)
    assert response.status_code == 404
    assert await f.status_of(client, org, payment["id"]) == "pending"
    # The same idempotency key in another organization is another payment.
    await f.add_static_pix(client, other)
    mine = await f.create_payment(client, org, idempotency_key="k1")
    theirs = await f.create_payment(client, other, idempotency_key="k1")
    assert mine["id"] != theirs["id"]


async def test_static_pix_confirmed_by_hand(client, databases):
    org = await f.make_org(client, databases)
    await f.add_static_pix(client, org)
    payment = await f.create_payment(client, org)
    response = await client.post(f"/api/payments/{payment['id']}/confirm", headers=org.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "paid"
    assert response.json()["paid_at"] is not None
    assert response.json()["pix_qr_svg"] is None  # nothing left to pay
    again = await client.post(f"/api/payments/{payment['id']}/confirm", headers=org.headers)
    assert again.status_code == 200
    assert again.json()["paid_at"] == response.json()["paid_at"]


async def test_anonymous_and_viewer_cannot_create(client, databases):
    response = await client.post(
        "/api/payments/create", json={"amount": "10.00", "product_name": "X"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


async def test_pending_charges_expire_and_a_late_payment_still_counts(client, databases):
    org = await f.make_org(client, databases)
    await f.add_static_pix(client, org)
    payment = await f.create_payment(client, org, expires_in=60)
    later = await f.create_payment(client, org, expires_in=3600)
    async with databases.crm.transaction(SYSTEM) as session:
        expired = await payments_service.expire_due(
            session, now=datetime.now(UTC) + timedelta(minutes=2)
        )
    assert expired == 1
    assert await f.status_of(client, org, payment["id"]) == "expired"
    assert await f.status_of(client, org, later["id"]) == "pending"
    # Running it again changes nothing.
    async with databases.crm.transaction(SYSTEM) as session:
        assert (
            await payments_service.expire_due(session, now=datetime.now(UTC) + timedelta(minutes=2))
            == 0
        )
    # Money that arrives after the expiry is still a sale (expired -> paid is forward).
    response = await client.post(f"/api/payments/{payment['id']}/confirm", headers=org.headers)
    assert response.json()["status"] == "paid"


async def test_upsell_points_at_its_first_order(client, databases):
    org = await f.make_org(client, databases)
    other = await f.make_org(client, databases)
    await f.add_static_pix(client, org)
    await f.add_static_pix(client, other)
    first = await f.create_payment(client, org)
    upsell = await f.create_payment(client, org, amount="47.00", parent_payment_id=first["id"])
    assert upsell["parent_payment_id"] == first["id"]
    response = await client.post(
        "/api/payments/create",
        headers=other.headers,
        json={"amount": "47.00", "product_name": "X", "parent_payment_id": first["id"]},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_reference"
    (row,) = await f.rows(databases, org, Payment, Payment.id == uuid.UUID(upsell["id"]))
    assert row.amount == Decimal("47.00")
