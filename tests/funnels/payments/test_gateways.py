"""Each gateway against its fake on 127.0.0.1: the charge is created as the gateway
documents it, its webhook (with the gateway's real authentication) moves the payment
once, and what must change nothing changes nothing: a replay, a status behind the
current one, a bad signature or token, an unknown charge, a forged body; a gateway that
is down at creation stores nothing."""

from __future__ import annotations

import time
import uuid

import orjson

from rastro.funnels.payments.models import Payment, PaymentWebhook
from tests.conftest import free_port
from tests.fakes.pix_common import Delivery
from tests.funnels.payments import factories as f
from tests.funnels.payments.brcode_decoder import decode


async def _mercadopago_org(client, databases, fake):
    org = await f.make_org(client, databases)
    credential = await f.add_credential(
        client, org, "mercadopago", api_key=f.MP_TOKEN, api_secret=f.MP_SECRET, api_url=fake.url
    )
    return org, credential


# --- Mercado Pago ------------------------------------------------------------------------------


async def test_mercadopago_charge_and_signed_webhooks(client, databases, mercadopago):
    org, _ = await _mercadopago_org(client, databases, mercadopago)
    payment = await f.create_payment(client, org, amount="97.00")
    (sent,) = mercadopago.requests
    assert sent.headers["x-idempotency-key"] == payment["id"]
    assert sent.json["payment_method_id"] == "pix"
    assert sent.json["transaction_amount"] == 97.0
    assert sent.json["payer"]["identification"] == {"type": "CPF", "number": "52998224725"}
    assert sent.json["notification_url"].endswith("/api/payments/webhook/mercadopago")
    external = payment["external_id"]
    assert decode(payment["pix_copy_paste"]).crc_ok
    assert payment["pix_url"].endswith(f"/payments/{external}/ticket")

    mercadopago.set_status(external, "approved", "accredited")
    response = await mercadopago.webhook(external).send(client)
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [
        {"external_id": external, "outcome": "applied", "status": "paid"}
    ]
    assert await f.status_of(client, org, payment["id"]) == "paid"
    # The same notification again (Mercado Pago retries): applied once.
    again = await mercadopago.webhook(external).send(client)
    assert again.json()["results"][0]["outcome"] == "same"
    # Refunded, then a stale "pending" read back is ignored: never backwards.
    mercadopago.set_status(external, "refunded")
    assert (await mercadopago.webhook(external).send(client)).json()["results"][0][
        "outcome"
    ] == "applied"
    mercadopago.set_status(external, "approved")
    stale = await mercadopago.webhook(external).send(client)
    assert stale.status_code == 200
    assert stale.json()["results"][0]["outcome"] == "backwards"
    assert await f.status_of(client, org, payment["id"]) == "refunded"
    log = await f.rows(databases, org, PaymentWebhook)
    assert sorted((row.status, row.outcome) for row in log) == [
        ("paid", "applied"),
        ("refunded", "applied"),
    ]


async def test_mercadopago_bad_or_stale_signature_changes_nothing(client, databases, mercadopago):
    org, _ = await _mercadopago_org(client, databases, mercadopago)
    payment = await f.create_payment(client, org)
    external = payment["external_id"]
    mercadopago.set_status(external, "approved")
    wrong = await mercadopago.webhook(external, secret="not-the-secret").send(client)
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_signature"
    old = await mercadopago.webhook(external, ts=int(time.time() * 1000) - 3_600_000).send(client)
    assert old.status_code == 401
    # The signature covers data.id: another payment's id in the query fails.
    delivery = mercadopago.webhook(external)
    tampered = Delivery(
        delivery.path, delivery.headers, delivery.body, {**delivery.query, "data.id": "999"}
    )
    response = await tampered.send(client)
    assert response.json()["results"][0]["outcome"] == "unknown_payment"
    assert await f.status_of(client, org, payment["id"]) == "pending"
    assert await f.rows(databases, org, PaymentWebhook) == []
    assert len([r for r in mercadopago.requests if r.method == "GET"]) == 0


async def test_unknown_payment_and_other_topics_are_acknowledged(client, databases, mercadopago):
    await _mercadopago_org(client, databases, mercadopago)
    response = await mercadopago.webhook("424242").send(client)
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"external_id": "424242", "outcome": "unknown_payment", "status": None}
    ]
    merchant_order = await client.post(
        "/api/payments/webhook/mercadopago",
        params={"topic": "merchant_order", "id": "1"},
        content=orjson.dumps({"resource": "x", "topic": "merchant_order"}),
    )
    assert merchant_order.status_code == 200
    assert merchant_order.json()["received"] == 0
    bad = await client.post("/api/payments/webhook/mercadopago", content=b"not json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "malformed_webhook"
    unknown = await client.post("/api/payments/webhook/skalepay", content=b"{}")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_gateway"


async def test_gateway_down_or_refusing_stores_nothing(client, databases, mercadopago):
    org, _ = await _mercadopago_org(client, databases, mercadopago)
    mercadopago.fail(3, 503)
    response = await client.post(
        "/api/payments/create",
        headers=org.headers,
        json={"amount": "10.00", "product_name": "X", "customer": f.BUYER},
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "gateway_unavailable"
    assert response.headers["retry-after"] == "5"
    mercadopago.fail(1, 400, {"message": "invalid payer", "status": 400})
    response = await client.post(
        "/api/payments/create",
        headers=org.headers,
        json={"amount": "10.00", "product_name": "X", "customer": f.BUYER},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "gateway_refused"
    # Mercado Pago needs the payer's e-mail: refused before any call.
    calls = len(mercadopago.requests)
    response = await client.post(
        "/api/payments/create", headers=org.headers, json={"amount": "10.00", "product_name": "X"}
    )
    assert response.status_code == 422
    assert len(mercadopago.requests) == calls
    assert await f.rows(databases, org, Payment) == []
    # A retry of a timed-out create reuses the idempotency key: one charge at the gateway.
    mercadopago.fail(1, 502)
    payment = await f.create_payment(client, org)
    keys = {r.headers.get("x-idempotency-key") for r in mercadopago.requests[-2:]}
    assert keys == {payment["id"]}
    assert len(mercadopago.payments) == 1


async def test_unreachable_gateway_is_a_503(client, databases):
    org = await f.make_org(client, databases)
    await f.add_credential(
        client, org, "mercadopago", api_key=f.MP_TOKEN, api_url=f"http://127.0.0.1:{free_port()}"
    )
    response = await client.post(
        "/api/payments/create",
        headers=org.headers,
        json={"amount": "10.00", "product_name": "X", "customer": f.BUYER},
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "gateway_unavailable"
    assert await f.rows(databases, org, Payment) == []


# --- Asaas -------------------------------------------------------------------------------------


async def test_asaas_charge_and_token_webhooks(client, databases, asaas):
    org = await f.make_org(client, databases)
    await f.add_credential(
        client,
        org,
        "asaas",
        api_key=f.ASAAS_KEY,
        api_secret=f.ASAAS_WEBHOOK_TOKEN,
        api_url=asaas.url,
    )
    payment = await f.create_payment(client, org, amount="150.00")
    paths = [r.path for r in asaas.requests]
    external = payment["external_id"]
    assert paths == ["/v3/customers", "/v3/payments", f"/v3/payments/{external}/pixQrCode"]
    assert asaas.requests[0].json["cpfCnpj"] == "52998224725"
    assert asaas.requests[1].json["billingType"] == "PIX"
    assert decode(payment["pix_copy_paste"]).crc_ok
    assert payment["expires_at"] is not None

    wrong = await asaas.webhook(external, "PAYMENT_RECEIVED", token="wrong-token").send(client)
    assert wrong.status_code == 401
    assert await f.status_of(client, org, payment["id"]) == "pending"
    created = await asaas.webhook(external, "PAYMENT_CREATED").send(client)
    assert created.json()["received"] == 0
    asaas.set_status(external, "RECEIVED")
    received = await asaas.webhook(external, "PAYMENT_RECEIVED").send(client)
    assert received.json()["results"][0]["outcome"] == "applied"
    confirmed = await asaas.webhook(external, "PAYMENT_CONFIRMED").send(client)
    assert confirmed.json()["results"][0]["outcome"] == "same"
    overdue = await asaas.webhook(external, "PAYMENT_OVERDUE").send(client)
    assert overdue.json()["results"][0]["outcome"] == "backwards"
    chargeback = await asaas.webhook(external, "PAYMENT_CHARGEBACK_REQUESTED").send(client)
    assert chargeback.json()["results"][0]["outcome"] == "applied"
    assert await f.status_of(client, org, payment["id"]) == "chargedback"


async def test_asaas_needs_the_buyers_document(client, databases, asaas):
    org = await f.make_org(client, databases)
    await f.add_credential(client, org, "asaas", api_key=f.ASAAS_KEY, api_url=asaas.url)
    response = await client.post(
        "/api/payments/create",
        headers=org.headers,
        json={"amount": "10.00", "product_name": "X", "customer": {"email": "a@example.com"}},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "gateway_refused"
    assert asaas.requests == []


# --- Pagar.me ----------------------------------------------------------------------------------


async def test_pagarme_order_and_read_back_webhooks(client, databases, pagarme):
    org = await f.make_org(client, databases)
    await f.add_credential(client, org, "pagarme", api_key=f.PAGARME_KEY, api_url=pagarme.url)
    payment = await f.create_payment(client, org, amount="19.90", expires_in=1800)
    (sent,) = pagarme.requests
    assert sent.json["items"][0]["amount"] == 1990
    assert sent.json["payments"] == [{"payment_method": "pix", "pix": {"expires_in": 1800}}]
    assert sent.headers["idempotency-key"] == payment["id"]
    external = payment["external_id"]
    assert external.startswith("or_")
    assert decode(payment["pix_copy_paste"]).crc_ok

    # A forged "paid" body: Pagar.me's own answer (still pending) is what counts.
    forged = pagarme.webhook(external, data={"id": external, "status": "paid"})
    response = await forged.send(client)
    assert response.status_code == 200
    assert response.json()["results"][0]["outcome"] == "same"
    assert await f.status_of(client, org, payment["id"]) == "pending"

    pagarme.set_status(external, "paid", "paid")
    paid = await pagarme.webhook(external).send(client)
    assert paid.json()["results"][0] == {
        "external_id": external,
        "outcome": "applied",
        "status": "paid",
    }
    pagarme.set_status(external, "paid", "chargedback")
    charge_event = pagarme.webhook(
        external, "charge.chargedback", data={"id": "ch_x", "order": {"id": external}}
    )
    assert (await charge_event.send(client)).json()["results"][0]["status"] == "chargedback"
    assert await f.status_of(client, org, payment["id"]) == "chargedback"
    # Pagar.me down while a webhook is read back: 503, so Pagar.me sends it again.
    pagarme.fail(2, 503)
    down = await pagarme.webhook(external).send(client)
    assert down.status_code == 503


# --- PIX API (Banco Central standard) ----------------------------------------------------------


async def _pix_api_org(client, databases, fake):
    org = await f.make_org(client, databases)
    await f.add_credential(
        client,
        org,
        "pix_api",
        api_key=f.PIX_CLIENT_ID,
        api_secret=f.PIX_CLIENT_SECRET,
        api_url=fake.url,
        settings={"pix_key": f.PIX_KEY},
    )
    return org


async def test_pix_api_cob_and_webhook(client, databases, pix_api):
    org = await _pix_api_org(client, databases, pix_api)
    payment = await f.create_payment(client, org, amount="37.00", expires_in=900)
    txid = uuid.UUID(payment["id"]).hex
    assert payment["external_id"] == txid
    cob_call = next(r for r in pix_api.requests if r.method == "PUT")
    assert cob_call.path == f"/v2/cob/{txid}"
    assert cob_call.json == {
        "calendario": {"expiracao": 900},
        "valor": {"original": "37.00"},
        "chave": f.PIX_KEY,
        "solicitacaoPagador": "Curso de Python",
        "devedor": {"cpf": "52998224725", "nome": "Maria Souza"},
    }
    assert decode(payment["pix_copy_paste"]).crc_ok

    # The PSP's webhook says paid, but the charge is still ATIVA at the PSP: nothing moves.
    forged = pix_api.webhook(
        [{"endToEndId": "E" + "1" * 31, "txid": txid, "valor": "37.00", "horario": "x"}]
    )
    assert (await forged.send(client)).json()["results"][0]["outcome"] == "same"
    received = pix_api.pay(txid)
    response = await pix_api.webhook([received, {"endToEndId": "E" + "2" * 31}]).send(client)
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [
        {"external_id": txid, "outcome": "applied", "status": "paid"}
    ]
    assert await f.status_of(client, org, payment["id"]) == "paid"
    pix_api.refund(txid)
    refunded = await pix_api.webhook([received]).send(client)
    assert refunded.json()["results"][0]["status"] == "refunded"
    (stored,) = await f.rows(databases, org, Payment)
    assert stored.paid_at is not None
    # One token for every call (cached), and a fresh one after the PSP drops it.
    assert pix_api.token_requests == 1
    pix_api.expire_tokens()
    assert (await pix_api.webhook([received]).send(client)).json()["results"][0][
        "outcome"
    ] == "same"
    assert pix_api.token_requests == 2


async def test_pix_api_without_key_or_bad_secret(client, databases, pix_api):
    org = await f.make_org(client, databases)
    await f.add_credential(
        client,
        org,
        "pix_api",
        api_key=f.PIX_CLIENT_ID,
        api_secret="wrong-secret",
        api_url=pix_api.url,
        settings={"pix_key": f.PIX_KEY},
    )
    response = await client.post(
        "/api/payments/create", headers=org.headers, json={"amount": "10.00", "product_name": "X"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "gateway_refused"
    assert await f.rows(databases, org, Payment) == []
