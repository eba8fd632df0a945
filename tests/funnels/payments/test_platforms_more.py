"""Checkout platforms beyond Hotmart and Kiwify, each from its public docs: Eduzz (hex
HMAC-SHA256 `x-signature`), Shopify (base64 `X-Shopify-Hmac-Sha256`, lost chargeback
disputes), Yampi (base64 `X-Yampi-Hmac-SHA256`), Perfect Pay (body token), Cakto (body
secret, order bumps as linked orders) and Rastro's own signed orders webhook (HMAC with a
timestamp). Each order goes waiting payment → paid → refund or chargeback through the
status rule, becomes a lead, a purchase conversion and a won deal, is stored once however
often it is delivered, and a forged, stale or malformed delivery changes nothing."""

from __future__ import annotations

import time

from rastro.funnels.payments.models import Payment
from tests.fakes.cakto import CaktoOrder
from tests.fakes.eduzz import EduzzInvoice
from tests.fakes.orders_webhook import signed
from tests.fakes.perfectpay import PerfectPaySale
from tests.fakes.shopify import ShopifyOrder
from tests.fakes.yampi import YampiOrder
from tests.funnels.payments import factories as f
from tests.funnels.payments.platform_cases import order_lifecycle, rejected

EDUZZ_KEY = "eduzz-signing-key-0123456789"
SHOPIFY_SECRET = "shpss_fake_client_secret_0123456789"
YAMPI_SECRET = "wh_fakeYampiWebhookSecret0123456789"
PERFECTPAY_TOKEN = "c0ffab31cf0cde81d7064efda713cefb"
CAKTO_SECRET = "8402b43f-c839-4090-bbd1-186725d185c7"
ORDERS_SECRET = "orders-shared-secret-0123456789abcdef"


async def test_eduzz_invoice(client, databases, settings):
    org = await f.make_org(client, databases)
    credential = await f.add_credential(client, org, "eduzz", api_key=EDUZZ_KEY)
    url = f"/api/payments/platforms/eduzz/{credential}"
    invoice = EduzzInvoice(EDUZZ_KEY, utm={"source": "facebook", "campaign": "bf24"})
    events = {
        "pending": "myeduzz.invoice_waiting_payment",
        "paid": "myeduzz.invoice_paid",
        "refunded": "myeduzz.invoice_refunded",
    }
    forged = await invoice.webhook(url, events["paid"], key="not-the-key").send(client)
    await rejected(forged, databases, org)
    ping = await invoice.webhook(url, "ping").send(client)
    assert ping.status_code == 200
    assert ping.json()["received"] == 0

    async def send(status: str):
        return await invoice.webhook(url, events[status]).send(client)

    payment = await order_lifecycle(
        databases,
        settings,
        org,
        send,
        external_id=invoice.invoice_id,
        amount="301.50",
        email="alice@example.com",
        tracking={"utm_source": "facebook", "utm_campaign": "bf24"},
        payment_method="pix",
    )
    # The invoice's two products (a product and its order bump) are one order.
    assert payment.product_name == "Curso de Excel, Planilhas prontas"
    assert payment.customer_data["phone"] == "+5511987654321"


async def test_shopify_order_and_chargeback(client, databases, settings):
    org = await f.make_org(client, databases)
    credential = await f.add_credential(client, org, "shopify", api_key=SHOPIFY_SECRET)
    url = f"/api/payments/platforms/shopify/{credential}"
    order = ShopifyOrder(
        SHOPIFY_SECRET,
        landing_site="/products/camiseta?utm_source=google&utm_medium=cpc&gclid=Cj0",
        attributes={"sck": "google|cpc|natal", "gift_note": "feliz natal"},
    )
    forged = await order.webhook(url, "paid", secret="shpss_guessed").send(client)
    await rejected(forged, databases, org)

    async def send(status: str):
        if status == "chargedback":
            return await order.dispute(url, "lost").send(client)
        return await order.webhook(url, status).send(client)

    under_review = await order.dispute(url, "under_review").send(client)
    assert under_review.json()["results"][0]["outcome"] == "ignored"
    payment = await order_lifecycle(
        databases,
        settings,
        org,
        send,
        external_id=str(order.order_id),
        amount="259.80",
        email="carla@example.com",
        tracking={"utm_source": "google", "utm_medium": "cpc", "sck": "google|cpc|natal"},
        payment_method="pix",
        reversal="chargedback",
    )
    assert payment.product_name == "Camiseta, Meia"
    assert payment.customer_data == {
        "name": "Carla Souza",
        "email": "carla@example.com",
        "phone": "+5531988887777",
    }
    products = await order.webhook(url, "paid").send(client)
    assert products.status_code == 200
    other_topic = order.webhook(url, "paid")
    other_topic.headers["x-shopify-topic"] = "products/update"
    assert (await other_topic.send(client)).json()["received"] == 0


async def test_yampi_order(client, databases, settings):
    org = await f.make_org(client, databases)
    credential = await f.add_credential(client, org, "yampi", api_key=YAMPI_SECRET)
    url = f"/api/payments/platforms/yampi/{credential}"
    order = YampiOrder(YAMPI_SECRET, utm={"utm_source": "tiktok", "utm_campaign": "verao"})
    forged = await order.webhook(url, "order.paid", "paid", secret="wh_guessed").send(client)
    await rejected(forged, databases, org)
    cart = await order.webhook(url, "cart.reminder", "waiting_payment").send(client)
    assert cart.json()["received"] == 0
    aliases = {"pending": ("order.created", "waiting_payment"), "paid": ("order.paid", "paid")}

    async def send(status: str):
        return await order.webhook(url, *aliases[status]).send(client)

    payment = await order_lifecycle(
        databases,
        settings,
        org,
        send,
        external_id=str(order.order_id),
        amount="136.29",
        email="joao@example.com",
        tracking={"utm_source": "tiktok", "utm_campaign": "verao"},
        payment_method="boleto",
        reversal=None,
    )
    assert payment.customer_data["phone"] == "+5512988815499"
    assert payment.customer_data["document"] == "52998224725"
    assert payment.product_name == "Dobradiça Inox"
    # A cancellation after payment is no refund Yampi's docs name: ignored as backwards.
    cancelled = await order.webhook(url, "order.status.updated", "cancelled").send(client)
    assert cancelled.json()["results"][0]["outcome"] == "backwards"
    # Another order, refused: failed, and no sale.
    refused = YampiOrder(YAMPI_SECRET)
    sent = await refused.webhook(url, "order.status.updated", "refused").send(client)
    assert sent.json()["results"][0] == {
        "external_id": str(refused.order_id),
        "outcome": "applied",
        "status": "failed",
    }


async def test_perfectpay_sale(client, databases, settings):
    org = await f.make_org(client, databases)
    credential = await f.add_credential(client, org, "perfectpay", api_key=PERFECTPAY_TOKEN)
    url = f"/api/payments/platforms/perfectpay/{credential}"
    sale = PerfectPaySale(
        PERFECTPAY_TOKEN, metadata={"src": "instagram", "utm_source": "instagram_stories"}
    )
    forged = await sale.webhook(url, "paid", token="0" * 32).send(client)
    await rejected(forged, databases, org)

    async def send(status: str):
        return await sale.webhook(url, status).send(client)

    payment = await order_lifecycle(
        databases,
        settings,
        org,
        send,
        external_id=sale.code,
        amount="226.90",
        email="daniela@example.com",
        tracking={"src": "instagram", "utm_source": "instagram_stories"},
        payment_method="boleto",
        reversal="chargedback",
    )
    assert payment.customer_data["phone"] == "+5521999887766"
    assert payment.customer_data["document"] == "52998224725"
    completed = await sale.webhook(url, "completed").send(client)
    assert completed.json()["results"][0]["outcome"] == "backwards"


async def test_cakto_order_and_its_bump(client, databases, settings):
    org = await f.make_org(client, databases)
    credential = await f.add_credential(client, org, "cakto", api_key=CAKTO_SECRET)
    url = f"/api/payments/platforms/cakto/{credential}"
    main = CaktoOrder(CAKTO_SECRET, tracking={"utm_source": "facebook", "sck": "fb|cpc"})
    forged = await main.webhook(url, "paid", secret="another-secret").send(client)
    await rejected(forged, databases, org)
    statuses = {"pending": "waiting_payment", "paid": "paid"}

    async def send(status: str):
        return await main.webhook(url, statuses[status]).send(client)

    payment = await order_lifecycle(
        databases,
        settings,
        org,
        send,
        external_id=main.order_id,
        amount="97.00",
        email="eduardo@example.com",
        tracking={"utm_source": "facebook", "sck": "fb|cpc"},
        payment_method="pix",
        reversal=None,
    )
    # The order bump is its own order: its own payment, linked to the main one, with the
    # main order's click.
    bump = CaktoOrder(CAKTO_SECRET, amount=27.0, parent=main)
    sent = await bump.webhook(url, "paid").send(client)
    assert sent.json()["results"][0]["outcome"] == "applied"
    (linked,) = await f.rows(databases, org, Payment, Payment.external_id == bump.order_id)
    assert linked.parent_payment_id == payment.id
    assert linked.tracking == {"utm_source": "facebook", "sck": "fb|cpc"}
    assert linked.status == "paid"
    undocumented = await main.webhook(url, "refunded").send(client)
    assert undocumented.json()["results"][0]["outcome"] == "ignored"


def _generic_order(status: str, **more):
    return {
        "order_id": "A-1001",
        "status": status,
        "amount": "197.00",
        "currency": "BRL",
        "payment_method": "pix",
        "product_name": "Curso de Python",
        "customer": {"name": "Fabiana Rocha", "email": "fabiana@example.com"},
        "tracking": {"utm_source": "youtube", "utm_campaign": "lancamento", "other": "x"},
        **more,
    }


async def test_generic_signed_orders_webhook(client, databases, settings):
    org = await f.make_org(client, databases)
    credential = await f.add_credential(client, org, "orders", api_key=ORDERS_SECRET)
    url = f"/api/payments/platforms/orders/{credential}"
    forged = await signed(url, "not-the-secret", _generic_order("paid")).send(client)
    await rejected(forged, databases, org)
    # A delivery signed ten minutes ago is a replay, however good its signature.
    stale = signed(url, ORDERS_SECRET, _generic_order("paid"), at=time.time() - 600)
    await rejected(await stale.send(client), databases, org)
    unsigned = await client.post(url, json=_generic_order("paid"))
    await rejected(unsigned, databases, org)
    bad = await signed(url, ORDERS_SECRET, _generic_order("paid", amount="-1")).send(client)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "malformed_webhook"
    assert "amount" in bad.json()["error"]["message"]
    names = {"pending": "waiting_payment", "paid": "paid", "refunded": "refunded"}

    async def send(status: str):
        return await signed(url, ORDERS_SECRET, _generic_order(names[status])).send(client)

    payment = await order_lifecycle(
        databases,
        settings,
        org,
        send,
        external_id="A-1001",
        amount="197.00",
        email="fabiana@example.com",
        tracking={"utm_source": "youtube", "utm_campaign": "lancamento"},
        payment_method="pix",
    )
    upsell = {
        "orders": [
            _generic_order(
                "paid", order_id="A-1002", amount="47.00", parent_order_id="A-1001", tracking={}
            )
        ]
    }
    sent = await signed(url, ORDERS_SECRET, upsell).send(client)
    assert sent.json()["results"] == [
        {"external_id": "A-1002", "outcome": "applied", "status": "paid"}
    ]
    (linked,) = await f.rows(databases, org, Payment, Payment.external_id == "A-1002")
    assert linked.parent_payment_id == payment.id
    assert linked.tracking == {"utm_source": "youtube", "utm_campaign": "lancamento"}
