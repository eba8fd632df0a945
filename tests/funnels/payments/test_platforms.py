"""Checkout platforms' sale webhooks: Hotmart (hottok) and Kiwify (HMAC-SHA1 signature)
orders become payments moved by the status rule, with the checkout link's UTMs as the
lead's attribution; a refund or chargeback reverses the sale's conversion; a Hotmart
order bump is its own payment linked to the main purchase's; bad authentication, another
organization's endpoint and replays change nothing."""

from __future__ import annotations

from decimal import Decimal

from rastro.conversions.models import OfflineConversion
from rastro.crm.models import Lead
from rastro.funnels.payments.models import Payment, PaymentWebhook
from tests.fakes.hotmart import HotmartSale
from tests.fakes.kiwify import KiwifyOrder
from tests.funnels.payments import factories as f
from tests.helpers import drain_jobs

HOTTOK = "hottok-fake-0123456789abcdef"
KIWIFY_TOKEN = "kiwifytoken0123"


async def test_hotmart_sale_refunded(client, databases, settings):
    org = await f.make_org(client, databases)
    credential = await f.add_credential(client, org, "hotmart", api_key=HOTTOK)
    url = f"/api/payments/platforms/hotmart/{credential}"
    sale = HotmartSale(
        HOTTOK, origin={"src": "facebook", "sck": "facebook|paid_social|bf24|video1"}
    )
    abandoned = await sale.webhook(url, "PURCHASE_OUT_OF_SHOPPING_CART").send(client)
    assert abandoned.json()["results"][0]["outcome"] == "ignored"
    assert await f.rows(databases, org, Payment) == []
    printed = await sale.webhook(url, "PURCHASE_BILLET_PRINTED").send(client)
    assert printed.status_code == 200, printed.text
    (payment,) = await f.rows(databases, org, Payment)
    assert payment.status == "pending"
    assert payment.gateway == "hotmart"
    assert payment.amount == Decimal("197.00")
    assert payment.payment_method == "pix"
    assert payment.tracking == {"src": "facebook", "sck": "facebook|paid_social|bf24|video1"}

    for _ in range(2):  # Hotmart retries
        approved = await sale.webhook(url, "PURCHASE_APPROVED").send(client)
    assert approved.json()["results"][0]["outcome"] == "same"
    await drain_jobs(settings, databases)
    (payment,) = await f.rows(databases, org, Payment)
    assert payment.status == "paid"
    (conversion,) = await f.rows(databases, org, OfflineConversion)
    assert conversion.order_id == f"purchase-{payment.id}"
    (lead,) = await f.rows(databases, org, Lead)
    assert lead.email == "comprador@example.com"
    assert lead.metadata_["submitted_attribution"]["sck"] == "facebook|paid_social|bf24|video1"

    refunded = await sale.webhook(url, "PURCHASE_REFUNDED").send(client)
    assert refunded.json()["results"][0] == {
        "external_id": sale.transaction,
        "outcome": "applied",
        "status": "refunded",
    }
    late_approval = await sale.webhook(url, "PURCHASE_COMPLETE").send(client)
    assert late_approval.json()["results"][0]["outcome"] == "backwards"
    await drain_jobs(settings, databases)
    (conversion,) = await f.rows(databases, org, OfflineConversion)
    assert conversion.order_status == "refunded"
    log = await f.rows(databases, org, PaymentWebhook)
    assert sorted((row.status, row.outcome) for row in log) == [
        ("paid", "applied"),
        ("pending", "same"),
        ("refunded", "applied"),
    ]


async def test_hotmart_order_bump_is_linked_to_its_purchase(client, databases):
    org = await f.make_org(client, databases)
    credential = await f.add_credential(client, org, "hotmart", api_key=HOTTOK)
    url = f"/api/payments/platforms/hotmart/{credential}"
    main = HotmartSale(HOTTOK, origin={"src": "instagram"})
    bump = HotmartSale(HOTTOK, price=37.0, bump_of=main)
    assert (await main.webhook(url, "PURCHASE_APPROVED").send(client)).status_code == 200
    assert (await bump.webhook(url, "PURCHASE_APPROVED").send(client)).status_code == 200
    (first,) = await f.rows(databases, org, Payment, Payment.external_id == main.transaction)
    (linked,) = await f.rows(databases, org, Payment, Payment.external_id == bump.transaction)
    assert linked.parent_payment_id == first.id
    assert linked.amount == Decimal("37.00")
    assert linked.tracking == {"src": "instagram"}


async def test_hotmart_bad_hottok_and_foreign_endpoint(client, databases):
    org = await f.make_org(client, databases)
    other = await f.make_org(client, databases)
    credential = await f.add_credential(client, org, "hotmart", api_key=HOTTOK)
    sale = HotmartSale(HOTTOK)
    url = f"/api/payments/platforms/hotmart/{credential}"
    bad = await sale.webhook(url, "PURCHASE_APPROVED", hottok="guessed").send(client)
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "invalid_signature"
    # Another platform's path, or another organization's non-Hotmart credential: 404.
    kiwify_path = await sale.webhook(
        f"/api/payments/platforms/kiwify/{credential}", "PURCHASE_APPROVED"
    ).send(client)
    assert kiwify_path.status_code == 404
    their_utmify = await f.add_credential(client, other, "utmify", api_key="utmify-token-123456")
    foreign = await sale.webhook(
        f"/api/payments/platforms/hotmart/{their_utmify}", "PURCHASE_APPROVED"
    ).send(client)
    assert foreign.status_code == 404
    unknown = await sale.webhook(
        "/api/payments/platforms/eduzz/00000000-0000-0000-0000-000000000000", "PURCHASE_APPROVED"
    ).send(client)
    assert unknown.status_code == 404
    assert await f.rows(databases, org, Payment) == []
    assert await f.rows(databases, other, Payment) == []


async def test_kiwify_signed_orders(client, databases, settings):
    org = await f.make_org(client, databases)
    credential = await f.add_credential(client, org, "kiwify", api_key=KIWIFY_TOKEN)
    url = f"/api/payments/platforms/kiwify/{credential}"
    order = KiwifyOrder(
        KIWIFY_TOKEN, cents=4990, tracking={"utm_source": "google", "utm_campaign": "busca"}
    )
    forged = await order.webhook(url, "paid", token="not-the-token").send(client)
    assert forged.status_code == 401
    assert await f.rows(databases, org, Payment) == []

    assert (await order.webhook(url, "waiting_payment").send(client)).status_code == 200
    paid = await order.webhook(url, "paid").send(client)
    assert paid.json()["results"][0]["outcome"] == "applied"
    (payment,) = await f.rows(databases, org, Payment)
    assert payment.amount == Decimal("49.90")
    assert payment.tracking == {"utm_source": "google", "utm_campaign": "busca"}
    assert payment.customer_data["phone"] == "+5521987654321"
    chargeback = await order.webhook(url, "chargedback").send(client)
    assert chargeback.json()["results"][0]["status"] == "chargedback"
    await drain_jobs(settings, databases)
    (conversion,) = await f.rows(databases, org, OfflineConversion)
    assert conversion.order_status == "chargedback"
    assert conversion.conversion_value == Decimal("49.90")
    malformed = await order.webhook(url, "paid").send(client)
    assert malformed.status_code == 200
    body = b'{"order_status": "paid"}'
    import hashlib
    import hmac

    signature = hmac.new(KIWIFY_TOKEN.encode(), body, hashlib.sha1).hexdigest()
    bad = await client.post(url, params={"signature": signature}, content=body)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "malformed_webhook"
