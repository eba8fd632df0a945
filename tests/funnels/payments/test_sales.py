"""A paid payment becomes the buyer's lead, won with a deal carrying the sale, and a
purchase conversion with the checkout session's click ids and the same event id as the
browser pixel; Meta and UTMify get it; the sale's revenue reaches the reports under the
checkout session's campaign; a refund reverses it (UTMify gets the refunded order, the
deal and the reports keep the money given back); every step runs once however often the
webhooks or jobs repeat."""

from __future__ import annotations

import uuid
from decimal import Decimal

from rastro.analytics.models import ConversionFact
from rastro.conversions.models import OfflineConversion
from rastro.core.db import Scope
from rastro.crm.models import Deal, Lead, LeadStage
from rastro.funnels.payments.models import Payment
from tests.conversions.factories import DATASET_ID, META_TOKEN, UTMIFY_TOKEN
from tests.fakes.meta import FakeMeta
from tests.fakes.utmify import FakeUtmify
from tests.funnels.payments import factories as f
from tests.helpers import drain_jobs
from tests.tracking.factories import ORIGIN, batch, collect, event, make_site

SESSION = "s_" + "p" * 22
VISITOR = "v_" + "q" * 22
LANDING = (
    f"{ORIGIN}/lp?utm_source=facebook&utm_medium=paid_social&utm_campaign=bf24"
    "&utm_content=video1&fbclid=IwAR0fakeclick"
)


async def _setup(client, databases, asaas):
    site = await make_site(client, databases)
    org = f.Org(site.account, site.headers)
    response = await collect(
        client,
        batch(
            site,
            [
                event(url=LANDING, view_id="pv1", offset=-300),
                event(url=f"{ORIGIN}/checkout", referrer=LANDING, view_id="pv2", offset=-120),
            ],
            session_id=SESSION,
            visitor_id=VISITOR,
        ),
    )
    assert response.json()["accepted"] == 2, response.text
    await f.add_credential(
        client,
        org,
        "asaas",
        api_key=f.ASAAS_KEY,
        api_secret=f.ASAAS_WEBHOOK_TOKEN,
        api_url=asaas.url,
    )
    return org


async def test_paid_payment_becomes_a_lead_and_a_purchase(client, databases, settings, asaas):
    meta = FakeMeta(META_TOKEN, DATASET_ID).start()
    utmify = FakeUtmify(UTMIFY_TOKEN).start()
    try:
        org = await _setup(client, databases, asaas)
        await f.add_credential(
            client,
            org,
            "meta",
            api_key=META_TOKEN,
            api_url=meta.url,
            settings={"pixel_id": DATASET_ID},
        )
        await f.add_credential(client, org, "utmify", api_key=UTMIFY_TOKEN, api_url=utmify.url)
        payment = await f.create_payment(
            client, org, amount="197.00", session_id=SESSION, visitor_id=VISITOR
        )
        event_id = f"purchase-{payment['id']}"
        external = payment["external_id"]
        await drain_jobs(settings, databases)  # a pending charge sells nothing
        assert await f.rows(databases, org, OfflineConversion) == []

        asaas.set_status(external, "RECEIVED")
        for _ in range(2):  # Asaas delivers twice
            await asaas.webhook(external, "PAYMENT_RECEIVED").send(client)
        await drain_jobs(settings, databases)
        await drain_jobs(settings, databases)

        (stored,) = await f.rows(databases, org, Payment)
        (conversion,) = await f.rows(databases, org, OfflineConversion)
        assert stored.conversion_id == conversion.conversion_id
        assert conversion.order_id == event_id
        assert conversion.conversion_name == "purchase"
        assert conversion.conversion_value == Decimal("197.00")
        assert conversion.conversion_currency == "BRL"
        assert conversion.origin == "checkout"
        assert conversion.fbclid == "IwAR0fakeclick"  # the checkout session's click
        (lead,) = await f.rows(databases, org, Lead)
        assert lead.lead_id == stored.lead_id
        assert lead.email == "maria.souza@example.com"
        assert lead.session_id == SESSION
        assert lead.campaign == "bf24"

        # The lead is won once, with a deal holding the sale.
        assert lead.current_stage == "won"
        assert lead.stage_value == Decimal("197.00")
        won = await f.rows(databases, org, LeadStage, LeadStage.stage_name == "won")
        assert [w.source for w in won] == ["sale"]
        (deal,) = await f.rows(databases, org, Deal)
        assert (deal.lead_id, deal.stage, deal.value, deal.currency) == (
            lead.lead_id,
            "won",
            Decimal("197.00"),
            "BRL",
        )
        assert deal.external_id == f"payment:{payment['id']}"
        assert (deal.product, deal.payment_method) == ("Curso de Python", "pix")
        assert deal.closed_at == stored.paid_at
        assert deal.refunded_amount is None
        fact = await _fact(databases, org, lead.lead_id)
        assert (fact.campaign, fact.revenue, fact.product) == (
            "bf24",
            Decimal("197.00"),
            "Curso de Python",
        )

        assert meta.unique_event_ids == {event_id}
        (order,) = [o for o in utmify.accepted if o["orderId"] == event_id]
        assert order["status"] == "paid"
        assert order["trackingParameters"]["utm_campaign"] == "bf24"

        # Refunded: the conversion's order status follows; UTMify gets the same order again.
        asaas.set_status(external, "REFUNDED")
        await asaas.webhook(external, "PAYMENT_REFUNDED").send(client)
        await drain_jobs(settings, databases)
        await drain_jobs(settings, databases)
        (conversion,) = await f.rows(databases, org, OfflineConversion)
        assert conversion.order_status == "refunded"
        assert utmify.orders[event_id]["status"] == "refunded"
        assert utmify.orders[event_id]["createdAt"] == order["createdAt"]
        assert len(await f.rows(databases, org, Lead)) == 1
        assert meta.unique_event_ids == {event_id}
        (deal,) = await f.rows(databases, org, Deal)
        (stored,) = await f.rows(databases, org, Payment)
        assert (deal.refunded_amount, deal.refunded_at) == (
            Decimal("197.00"),
            stored.status_changed_at,
        )
        assert len(await f.rows(databases, org, LeadStage, LeadStage.stage_name == "won")) == 1
        fact = await _fact(databases, org, lead.lead_id)
        assert (fact.revenue, fact.refunded_amount) == (Decimal("197.00"), Decimal("197.00"))
    finally:
        meta.stop()
        utmify.stop()


async def _fact(databases, org, lead_id) -> ConversionFact:
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        fact = await bi.get(ConversionFact, lead_id)
    assert fact is not None
    return fact


async def test_upsell_is_its_own_sale(client, databases, settings, asaas):
    org = await _setup(client, databases, asaas)
    first = await f.create_payment(client, org, session_id=SESSION)
    upsell = await f.create_payment(
        client, org, amount="47.00", session_id=SESSION, parent_payment_id=first["id"]
    )
    for payment in (first, upsell):
        asaas.set_status(payment["external_id"], "RECEIVED")
        await asaas.webhook(payment["external_id"], "PAYMENT_RECEIVED").send(client)
    await drain_jobs(settings, databases)
    conversions = await f.rows(databases, org, OfflineConversion)
    assert sorted((c.conversion_name, c.order_id) for c in conversions) == sorted(
        [("purchase", f"purchase-{first['id']}"), ("purchase", f"purchase-{upsell['id']}")]
    )
    assert {c.conversion_value for c in conversions} == {Decimal("97.00"), Decimal("47.00")}


async def test_a_sale_without_contact_data_gets_no_conversion(client, databases, settings, asaas):
    org = await _setup(client, databases, asaas)
    payment = await f.create_payment(
        client, org, customer={"name": "Maria Souza", "document": "52998224725"}
    )
    asaas.set_status(payment["external_id"], "RECEIVED")
    await asaas.webhook(payment["external_id"], "PAYMENT_RECEIVED").send(client)
    await drain_jobs(settings, databases)
    (stored,) = await f.rows(databases, org, Payment, Payment.id == uuid.UUID(payment["id"]))
    assert stored.status == "paid"
    assert stored.lead_id is None
    assert await f.rows(databases, org, OfflineConversion) == []


async def test_a_sale_sends_one_purchase_whatever_the_won_conversion_is_named(
    client, databases, settings, asaas
):
    """The organization's won conversion is another name: the sale still sends only its
    purchase (the move to won made by the sale adds no second conversion)."""
    org = await _setup(client, databases, asaas)
    response = await client.put(
        "/api/conversions/settings",
        json={"won_conversion_name": "closed_won", "windows": {}, "actions": {}},
        headers=org.headers,
    )
    assert response.status_code == 200, response.text
    first = await f.create_payment(client, org, session_id=SESSION)
    upsell = await f.create_payment(
        client, org, amount="47.00", session_id=SESSION, parent_payment_id=first["id"]
    )
    for payment in (first, upsell):
        asaas.set_status(payment["external_id"], "RECEIVED")
        await asaas.webhook(payment["external_id"], "PAYMENT_RECEIVED").send(client)
    await drain_jobs(settings, databases)
    await drain_jobs(settings, databases)
    conversions = await f.rows(databases, org, OfflineConversion)
    assert sorted(c.conversion_name for c in conversions) == ["purchase", "purchase"]
    deals = await f.rows(databases, org, Deal)
    assert sorted(d.value for d in deals) == [Decimal("47.00"), Decimal("97.00")]
    assert len({d.lead_id for d in deals}) == 2  # each sale on its own lead
    for deal in deals:
        assert (await _fact(databases, org, deal.lead_id)).revenue == deal.value
