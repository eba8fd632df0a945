"""The checkout config beyond product and price: the design (colour, logo, guarantee seal,
testimonials, escaped), the postal address asked on demand, and the order bump ticked
into the same PIX charge and recorded apart (offered, ticked, its price); bad configs refused with nothing stored lost."""

from __future__ import annotations

from decimal import Decimal

from rastro.funnels.payments.models import Payment
from tests.funnels.builder import factories as b
from tests.funnels.builder.pages_setup import form_token, setup_shop
from tests.funnels.payments import factories as f

DESIGN = {
    "primary_color": "#C2185B",
    "logo": {"url": "https://cdn.example.com/logo.png", "width": 160, "height": 48},
    "guarantee_days": 7,
    "testimonials": [{"name": "Ana <b>", "text": "Mudou minhas campanhas <script>x</script>"}],
}
BUMP = {"product_name": "Planilha de ROAS", "price": "27.00", "description": "Pronta para usar"}


async def _configure(client, org, made, **body):
    return await b.put_checkout(
        client, org, made["funnel"]["id"], made["steps"]["checkout"]["id"], expect=200, **body
    )


async def test_design_bump_and_address_on_the_checkout(client, databases):
    org, _, made, base = await setup_shop(client, databases)
    saved = await _configure(
        client,
        org,
        made,
        fields_config={"address": True},
        design_config=DESIGN,
        upsell_config={"order_bump": BUMP},
    )
    assert saved["design_config"]["primary_color"] == "#c2185b"
    assert saved["upsell_config"]["order_bump"]["price"] == "27.00"
    page = await client.get(f"{base}/checkout")
    html = page.text
    assert ":root{--accent:#c2185b}" in html
    assert 'src="https://cdn.example.com/logo.png" width="160" height="48"' in html
    assert "7 dias de garantia" in html
    assert "Ana &lt;b&gt;" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert 'name="order_bump"' in html
    assert "R$ 27,00" in html
    assert 'name="zip"' in html
    assert len(page.content) <= 50 * 1024

    token = form_token(html)
    buyer = {
        "name": "Maria Souza",
        "email": "maria.souza@example.com",
        "document": "529.982.247-25",
        "token": token,
    }
    address = {"zip": "01310-100", "street": "Av. Paulista", "number": "1000",
               "city": "São Paulo", "state": "sp"}  # fmt: skip
    # The address is required when asked; a bad CEP or UF is said in Portuguese.
    missing = await client.post(f"{base}/checkout", data={**buyer, "order_bump": "1"})
    assert missing.status_code == 422
    assert "Informe um CEP válido" in missing.text
    assert 'name="order_bump" value="1" checked' in missing.text  # the tick is kept
    for field, value, said in [("zip", "0131", "CEP"), ("state", "XX", "UF")]:
        bad = await client.post(f"{base}/checkout", data={**buyer, **address, field: value})
        assert bad.status_code == 422, field
        assert said in bad.text
    assert await f.rows(databases, org, Payment) == []

    done = await client.post(f"{base}/checkout", data={**buyer, **address, "order_bump": "1"})
    assert done.status_code == 303, done.text
    (payment,) = await f.rows(databases, org, Payment)
    assert payment.amount == Decimal("97.00") + Decimal("27.00")
    # The bump is recorded apart from the product: offered, ticked, its price.
    assert payment.product_name == "Curso Completo"
    assert (payment.bump_product_name, payment.bump_amount, payment.bump_accepted) == (
        "Planilha de ROAS",
        Decimal("27.00"),
        True,
    )
    assert payment.customer_data["address"] == {**address, "state": "SP"}


async def test_without_the_tick_the_charge_is_the_product_alone(client, databases):
    org, _, made, base = await setup_shop(client, databases)
    await _configure(client, org, made, upsell_config={"order_bump": BUMP})
    token = form_token((await client.get(f"{base}/checkout")).text)
    buyer = {"name": "Maria", "email": "maria@example.com", "document": "529.982.247-25"}
    done = await client.post(f"{base}/checkout", data={**buyer, "token": token})
    assert done.status_code == 303, done.text
    (payment,) = await f.rows(databases, org, Payment)
    assert (payment.amount, payment.product_name) == (Decimal("97.00"), "Curso Completo")
    # Offered and not ticked: the take rate's denominator counts it.
    assert (payment.bump_amount, payment.bump_accepted) == (Decimal("27.00"), False)
    assert "address" not in payment.customer_data
    # An upsell's page offers no order bump, even if its config names one.
    upsell = made["steps"]["upsell"]["id"]
    await b.put_checkout(
        client,
        org,
        made["funnel"]["id"],
        upsell,
        expect=200,
        product_name="Módulo Avançado",
        product_price="47.00",
        upsell_config={"order_bump": BUMP},
    )
    preview = await client.post(
        f"/api/checkout/{made['funnel']['id']}/{upsell}/preview",
        headers=org.headers,
        json={
            "product_name": "Módulo",
            "product_price": "47.00",
            "upsell_config": {"order_bump": BUMP},
        },
    )
    assert preview.status_code == 200, preview.text
    assert 'name="order_bump"' not in preview.text
    # The checkout's preview shows the unsaved design and bump, as the buyer will see them.
    checkout = made["steps"]["checkout"]["id"]
    preview = await client.post(
        f"/api/checkout/{made['funnel']['id']}/{checkout}/preview",
        headers=org.headers,
        json={
            "product_name": "Curso",
            "product_price": "97.00",
            "design_config": DESIGN,
            "upsell_config": {"order_bump": BUMP},
        },
    )
    assert ":root{--accent:#c2185b}" in preview.text
    assert 'name="order_bump"' in preview.text


async def test_bad_configs_are_422_and_keep_the_stored_one(client, databases):
    org, _, made, _ = await setup_shop(client, databases)
    stored = await _configure(client, org, made, design_config=DESIGN)
    url = f"/api/checkout/{made['funnel']['id']}/{made['steps']['checkout']['id']}"
    base = {"product_name": "Curso Completo", "product_price": "97.00"}
    for bad in (
        {"design_config": {"primary_color": "red"}},
        {"design_config": {"guarantee_days": 400}},
        {"design_config": {"logo": {"url": "javascript:alert(1)", "width": 1, "height": 1}}},
        {"design_config": {"testimonials": [{"name": "A", "text": "t"}] * 7}},
        {"design_config": {"unknown": 1}},
        {"fields_config": {"address": "maybe"}},
        {"upsell_config": {"order_bump": {**BUMP, "price": "0"}}},
        {"upsell_config": {"order_bump": {**BUMP, "price": "1.001"}}},
    ):
        response = await client.put(url, headers=org.headers, json={**base, **bad})
        assert response.status_code == 422, bad
        assert "error" in response.json()
    again = (await client.get(url, headers=org.headers)).json()
    assert again["design_config"] == stored["design_config"]
