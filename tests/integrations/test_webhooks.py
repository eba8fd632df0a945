"""Inbound CRM webhooks: HubSpot, Pipedrive, RD Station and generic signatures, lead
matching and stage mapping, replays.

Signatures are built here with hmac/hashlib, independently of the code under test.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

from tests.integrations.webhook_setup import (
    HUBSPOT_SECRET,
    add_credential,
    basic,
    delivery_count,
    generic_headers,
    hubspot_event,
    hubspot_headers,
    lead_state,
    make_lead,
    make_org,
    pipedrive_body,
    post_hubspot,
)


async def test_hubspot_webhook_moves_a_lead_to_won_with_value_and_close_date(client, databases):
    org = await make_org(client, databases)
    await add_credential(client, org, "hubspot_webhook", HUBSPOT_SECRET)
    lead_id = await make_lead(databases, org, email="maria@cliente.com.br", external_id="9001")
    close_ms = int(datetime(2026, 3, 10, 15, 0, tzinfo=UTC).timestamp() * 1000)
    events = [
        hubspot_event(101, 9001, "amount", "15000.50"),
        hubspot_event(102, 9001, "closedate", str(close_ms)),
        hubspot_event(103, 9001, "dealstage", "closedwon"),
    ]

    response = await post_hubspot(client, org, events)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["received"] == 3
    assert [r["status"] for r in body["results"]] == ["applied", "applied", "applied"]
    assert body["results"][2]["stage"] == "won"
    assert body["results"][2]["lead_id"] == str(lead_id)
    state = await lead_state(databases, org, lead_id)
    assert state.lead.current_stage == "won"
    [won] = state.stages
    assert (won.stage_name, won.stage_value, won.close_date) == (
        "won",
        Decimal("15000.50"),
        date(2026, 3, 10),
    )
    assert (won.source, won.changed_by, won.probability) == ("webhook:hubspot", "hubspot", 100)
    assert won.external_event_id == "hubspot:103"
    [deal] = state.deals
    assert (deal.value, deal.currency, deal.stage, deal.external_id) == (
        Decimal("15000.50"),
        "BRL",
        "won",
        "9001",
    )
    assert deal.closed_at == datetime(2026, 3, 10, tzinfo=UTC)
    kinds = [a.activity_type for a in state.activities]
    assert kinds.count("stage_changed") == 1
    assert "webhook_received" in kinds
    received = [a for a in state.activities if a.data.get("stage") == "won"]
    assert received[0].data["their_stage"] == "closedwon"
    assert received[0].deal_id == deal.deal_id

    # HubSpot retries the same events (new timestamp, same event ids): applied once.
    replay = await post_hubspot(client, org, events)
    assert replay.status_code == 200
    assert [r["status"] for r in replay.json()["results"]] == ["duplicate"] * 3
    again = await lead_state(databases, org, lead_id)
    assert len(again.stages) == 1
    assert len(again.deals) == 1
    assert len(again.activities) == len(state.activities)
    assert await delivery_count(databases, org) == 3


async def test_hubspot_bad_missing_or_stale_signature_is_401_and_stores_nothing(client, databases):
    org = await make_org(client, databases)
    lead_id = await make_lead(databases, org, email="ana@cliente.com.br", external_id="77")
    events = [hubspot_event(1, 77, "dealstage", "closedwon")]
    body = orjson.dumps(events)
    url = "http://testserver" + org.url("hubspot")

    not_configured = await client.post(url, content=body, headers=hubspot_headers(url, body))
    assert not_configured.status_code == 401
    assert not_configured.json()["error"]["code"] == "webhook_not_configured"

    await add_credential(client, org, "hubspot_webhook", HUBSPOT_SECRET)
    wrong_secret = await client.post(
        url, content=body, headers=hubspot_headers(url, body, secret="not-the-secret")
    )
    tampered = await client.post(
        url,
        content=body.replace(b"closedwon", b"closedlost"),
        headers=hubspot_headers(url, body),
    )
    stale = await client.post(
        url,
        content=body,
        headers=hubspot_headers(url, body, timestamp_ms=int((time.time() - 301) * 1000)),
    )
    missing = await client.post(url, content=body, headers={"content-type": "application/json"})
    for response in (wrong_secret, tampered, stale, missing):
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "invalid_webhook_signature"
    assert "too old" in stale.json()["error"]["message"]

    assert await delivery_count(databases, org) == 0
    state = await lead_state(databases, org, lead_id)
    assert (state.lead.current_stage, state.stages, state.deals) == ("new", [], [])

    # The same body, correctly signed, now goes through.
    ok = await client.post(url, content=body, headers=hubspot_headers(url, body))
    assert ok.json()["results"][0]["status"] == "applied"


async def test_an_unknown_token_or_provider_is_404_and_bad_json_is_400(client, databases):
    org = await make_org(client, databases)
    await add_credential(client, org, "hubspot_webhook", HUBSPOT_SECRET)
    body = b"[]"
    url = "http://testserver/api/webhooks/crm/hubspot/whk_not-a-real-token"
    unknown = await client.post(url, content=body, headers=hubspot_headers(url, body))
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_webhook_endpoint"
    assert (await client.post(org.url("salesforce"), content=body)).status_code == 404

    url = "http://testserver" + org.url("hubspot")
    not_json = b"{not json"
    bad = await client.post(url, content=not_json, headers=hubspot_headers(url, not_json))
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "malformed_webhook")
    not_list = b'{"eventId": 1}'
    bad = await client.post(url, content=not_list, headers=hubspot_headers(url, not_list))
    assert bad.status_code == 400

    # A rotated token replaces the old one.
    rotated = await client.post("/api/crm/webhooks/rotate-token", headers=org.headers)
    new_token = rotated.json()["token"]
    assert new_token != org.token
    assert rotated.json()["urls"]["hubspot"].endswith(f"/api/webhooks/crm/hubspot/{new_token}")
    old = await client.post(url, content=body, headers=hubspot_headers(url, body))
    assert old.status_code == 404


# --- Pipedrive --------------------------------------------------------------------------------


async def test_pipedrive_basic_auth_and_a_won_deal(client, databases):
    org = await make_org(client, databases)
    await add_credential(client, org, "pipedrive_webhook", "rastro", "pd-webhook-password-123")
    lead_id = await make_lead(databases, org, email="joao@cliente.com.br", external_id="555")
    body = pipedrive_body(
        "8c1f0b4e-6a2d-4f38-9d1e-2c6b2f7a9e10",
        555,
        status="won",
        value=4200,
        currency="usd",
        won_time="2026-03-09 18:20:00",
    )

    wrong = await client.post(
        org.url("pipedrive"), json=body, headers=basic("rastro", "wrong-password")
    )
    absent = await client.post(org.url("pipedrive"), json=body)
    for response in (wrong, absent):
        assert response.status_code == 401
    assert await delivery_count(databases, org) == 0

    ok = await client.post(
        org.url("pipedrive"), json=body, headers=basic("rastro", "pd-webhook-password-123")
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["results"][0]["status"] == "applied"
    state = await lead_state(databases, org, lead_id)
    assert state.lead.current_stage == "won"
    assert state.stages[0].close_date == date(2026, 3, 9)
    assert state.stages[0].source == "webhook:pipedrive"
    [deal] = state.deals
    assert (deal.value, deal.currency, deal.name) == (Decimal("4200.00"), "USD", "Plano anual")


# --- RD Station -------------------------------------------------------------------------------


def rd_body(updated_at: str, stage_name: str, **document: Any) -> dict[str, Any]:
    return {
        "event_name": "crm_deal_updated",
        "document": {
            "id": "650878567482d9c0c7002050a475",
            "name": "Consultoria",
            "amount_total": 990.0,
            "created_at": "2026-03-01T10:00:00.000-03:00",
            "updated_at": updated_at,
            "status": "ongoing",
            "closed_at": None,
            "user": {"id": "622e7f", "name": "Carla Vendas", "email": "carla@empresa.com.br"},
            "deal_stage": {"id": "622e4cee412e87000d2f52a6", "name": stage_name, "order": 3},
            "contacts": [{"name": "Pedro", "emails": [{"email": " Pedro@Cliente.com.br "}]}],
            **document,
        },
    }


async def test_rdstation_matches_by_hashed_email_and_maps_stage_names(client, databases):
    org = await make_org(client, databases)
    lead_id = await make_lead(databases, org, email="pedro@cliente.com.br")
    mapped = await client.put(
        "/api/crm/stage-mappings",
        headers=org.headers,
        json={"mappings": {"rdstation": {"Proposta enviada": "proposal"}}},
    )
    assert mapped.status_code == 200, mapped.text
    assert mapped.json()["effective"]["rdstation"]["Proposta enviada"] == "proposal"
    assert mapped.json()["effective"]["rdstation"]["status:won"] == "won"

    first = await client.post(
        org.url("rdstation"), json=rd_body("2026-03-02T10:00:00.000-03:00", "Proposta enviada")
    )
    assert first.json()["results"][0]["status"] == "applied", first.text
    state = await lead_state(databases, org, lead_id)
    assert state.lead.current_stage == "proposal"
    assert state.stages[0].changed_by == "carla@empresa.com.br"

    won = rd_body(
        "2026-03-05T11:00:00.000-03:00",
        "Fechamento",
        status="won",
        win=True,
        closed_at="2026-03-05T11:00:00.000-03:00",
        amount_total=1290.5,
    )
    second = await client.post(org.url("rdstation"), json=won)
    assert second.json()["results"][0]["stage"] == "won"
    state = await lead_state(databases, org, lead_id)
    assert [s.stage_name for s in state.stages] == ["proposal", "won"]
    assert state.stages[1].close_date == date(2026, 3, 5)
    [deal] = state.deals
    assert (deal.value, deal.stage, deal.external_id) == (
        Decimal("1290.50"),
        "won",
        "650878567482d9c0c7002050a475",
    )

    # With a shared secret configured, deliveries without it are refused.
    await add_credential(client, org, "rdstation_webhook", "rd-shared-secret-xyz")
    later = rd_body("2026-03-06T11:00:00.000-03:00", "Proposta enviada")
    assert (await client.post(org.url("rdstation"), json=later)).status_code == 401
    accepted = await client.post(
        org.url("rdstation"),
        json=later,
        headers={"X-Rastro-Webhook-Secret": "rd-shared-secret-xyz"},
    )
    assert accepted.status_code == 200


# --- generic ----------------------------------------------------------------------------------


async def test_generic_webhook_hmac_and_another_organizations_record(client, databases):
    org = await make_org(client, databases)
    issued = await client.post("/api/crm/webhooks/rotate-generic-secret", headers=org.headers)
    assert issued.status_code == 200
    secret = issued.json()["secret"]
    config = (await client.get("/api/crm/webhooks", headers=org.headers)).json()
    assert secret not in orjson.dumps(config).decode()
    generic = next(p for p in config["providers"] if p["provider"] == "generic")
    assert generic["credential_configured"] is True
    assert config["token_hint"] == org.token[-4:]

    lead_id = await make_lead(databases, org, email="bia@cliente.com.br", external_id="crm-42")
    other = await make_org(client, databases)
    foreign_lead = await make_lead(databases, other, email="x@outra.com", external_id="crm-99")

    event = {
        "event_id": "evt-1",
        "record_id": "crm-42",
        "stage": "won",
        "value": "2500.00",
        "currency": "BRL",
        "close_date": "2026-03-08",
        "sales_rep": "vendedor@empresa.com.br",
    }
    body = orjson.dumps(event)
    bad = await client.post(
        org.url("generic"), content=body, headers=generic_headers("wrong-secret", body)
    )
    stale = await client.post(
        org.url("generic"),
        content=body,
        headers=generic_headers(secret, body, timestamp=int(time.time()) - 600),
    )
    for response in (bad, stale):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_webhook_signature"
    assert await delivery_count(databases, org) == 0

    ok = await client.post(org.url("generic"), content=body, headers=generic_headers(secret, body))
    assert ok.status_code == 200, ok.text
    assert ok.json()["results"][0]["status"] == "applied"
    state = await lead_state(databases, org, lead_id)
    assert state.lead.current_stage == "won"
    assert (state.stages[0].stage_value, state.stages[0].changed_by) == (
        Decimal("2500.00"),
        "vendedor@empresa.com.br",
    )

    for foreign in (
        {"event_id": "evt-2", "lead_id": str(foreign_lead), "stage": "won"},
        {"event_id": "evt-3", "record_id": "crm-99", "stage": "won"},
        {"event_id": "evt-4", "email": "x@outra.com", "stage": "won"},
    ):
        raw = orjson.dumps(foreign)
        response = await client.post(
            org.url("generic"), content=raw, headers=generic_headers(secret, raw)
        )
        assert response.status_code == 404, response.text
    assert await delivery_count(databases, org) == 1
    assert (await lead_state(databases, other, foreign_lead)).lead.current_stage == "new"

    invalid = orjson.dumps({"event_id": "evt-5", "record_id": "crm-42", "stage": "closed-ish"})
    unmapped = await client.post(
        org.url("generic"), content=invalid, headers=generic_headers(secret, invalid)
    )
    assert unmapped.status_code == 422
    no_record = orjson.dumps({"event_id": "evt-6", "stage": "won"})
    missing = await client.post(
        org.url("generic"), content=no_record, headers=generic_headers(secret, no_record)
    )
    assert missing.status_code == 422
    assert await delivery_count(databases, org) == 1


# --- the review list --------------------------------------------------------------------------
