"""A populated pair of databases — a tracked visit become a lead (outbox applied to the BI
database), a contact, a deal, a stage change, a payment with its buyer, an inbound webhook
kept for review — holds no raw e-mail or phone in any text, varchar, jsonb or array
column of either database, and the logs name none."""

from __future__ import annotations

import logging
from decimal import Decimal

from rastro.core.db import Scope
from rastro.funnels.payments.models import Payment
from rastro.integrations.models import WebhookDelivery
from tests.auth.factories import auth_headers
from tests.crm.capture_setup import capture_form, post_capture, tracked_visit
from tests.helpers import drain_jobs
from tests.plaintext_scan import column_count, plaintext_hits
from tests.tracking.factories import make_site

NEEDLES = [
    "joao.silva@empresa.com.br",
    "98765-4321",
    "987654321",  # the phone's digits, in any format
    "bia@loja.com.br",
    "988887777",
    "comprador@pagante.com",
    "911112222",
    "crm.lead@hubspot-cliente.com",
]


async def test_a_populated_database_holds_no_raw_email_or_phone(
    client, databases, settings, test_databases, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    site = await make_site(client, databases)
    await tracked_visit(client, site)
    captured = await post_capture(client, capture_form(site))
    assert captured.status_code == 201, captured.text
    lead_id = captured.json()["lead_id"]
    headers = await auth_headers(client, site.account)
    contact = await client.post(
        "/api/contacts",
        headers=headers,
        json={"email": "bia@loja.com.br", "phone": "(11) 98888-7777", "name": "Beatriz"},
    )
    assert contact.status_code == 201, contact.text
    deal = await client.post(
        "/api/deals", headers=headers, json={"name": "Proposta", "lead_id": lead_id}
    )
    assert deal.status_code == 201, deal.text
    moved = await client.post(
        f"/api/leads/{lead_id}/stages",
        headers=headers,
        json={"stage_name": "won", "stage_value": 500},
    )
    assert moved.status_code == 201, moved.text
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        s.add(
            Payment(
                gateway="manual",
                amount=Decimal("97.00"),
                customer_data={"email": "comprador@pagante.com", "phone": "+5511911112222"},
            )
        )
        s.add(
            WebhookDelivery(
                provider="hubspot",
                external_event_id="evt-1",
                status="review",
                payload={"event": {"properties": {"email": "crm.lead@hubspot-cliente.com"}}},
            )
        )
    await drain_jobs(settings, databases)

    server = test_databases.server
    for name in (test_databases.crm_name, test_databases.bi_name):
        url = server.superuser_conninfo(name)
        assert column_count(url) > 50  # the scan sees the tables (as a superuser: no RLS)
        assert plaintext_hits(url, NEEDLES) == [], name
    # The scan finds what is stored in the clear (the form's location is not personal).
    crm = server.superuser_conninfo(test_databases.crm_name)
    assert ("leads", "form_location", "lp-hero") in plaintext_hits(crm, ["lp-hero"])
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    logged += "".join(capsys.readouterr())
    for needle in NEEDLES:
        assert needle not in logged
