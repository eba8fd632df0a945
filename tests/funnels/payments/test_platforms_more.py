"""Checkout platforms beyond Hotmart and Kiwify, each from its public docs: Eduzz (hex
HMAC-SHA256 `x-signature`), … Each order goes waiting payment → paid → refund or chargeback
through the status rule, becomes a lead, a purchase conversion and a won deal, is stored
once however often it is delivered, and a forged delivery changes nothing."""

from __future__ import annotations

from tests.fakes.eduzz import EduzzInvoice
from tests.funnels.payments import factories as f
from tests.funnels.payments.platform_cases import order_lifecycle, rejected

EDUZZ_KEY = "eduzz-signing-key-0123456789"


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
    assert ping.status_code == 200 and ping.json()["received"] == 0

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
