"""Salesforce, Pipedrive and RD Station connectors against their fakes, and the
destinations API (validation, permissions, test send)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.factories import auth_headers, make_account
from tests.fakes.pipedrive import FakePipedrive
from tests.fakes.rdstation import FakeRdStation
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.integrations.push_factories import (
    drain,
    get_lead,
    log_rows,
    make_credential,
    make_destination,
    make_lead,
    move_stage,
)

TOKEN = "00Dxx0000001gPL!AQ4AQFake.Token.0123456789"


@pytest.fixture
def salesforce() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(TOKEN, external_id_field="Rastro_Lead_Id__c").start()
    yield fake
    fake.stop()


@pytest.fixture
def pipedrive() -> Iterator[FakePipedrive]:
    fake = FakePipedrive(TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def rdstation() -> Iterator[FakeRdStation]:
    fake = FakeRdStation(TOKEN).start()
    yield fake
    fake.stop()


async def _admin(client, databases):
    admin = await make_account(databases)
    return admin, await auth_headers(client, admin)


async def test_salesforce_lead_with_required_fallbacks(client, databases, settings, salesforce):
    admin, headers = await _admin(client, databases)
    credential = await make_credential(
        client,
        headers,
        "salesforce",
        salesforce.url,
        api_key=TOKEN,
        api_secret="consumer-secret-0000",
        settings={"instance_url": salesforce.url},
    )
    await make_destination(
        client, headers, "salesforce", credential, settings={"lead_source": "Rastro"}
    )
    # No name and no company: LastName and Company (required) get fallbacks.
    lead_id = await make_lead(
        databases, admin.organization_id, email="joao@gmail.com", name=None, company=None
    )
    await drain(settings, databases)

    (request,) = salesforce.requests
    assert request.method == "POST"
    assert request.path == "/services/data/v62.0/sobjects/Lead"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json == {
        "LastName": "joao",
        "Company": "[not provided]",
        "Email": "joao@gmail.com",
        "Phone": "+5511987654321",
        "LeadSource": "Rastro",
    }
    (row,) = await log_rows(databases, lead_id)
    (sf_id,) = salesforce.leads
    assert (row.status, row.http_status, row.response_data["external_id"]) == (
        "success",
        201,
        sf_id,
    )
    assert (await get_lead(databases, lead_id)).external_id == sf_id


async def test_salesforce_upsert_by_external_id_never_duplicates(
    client, databases, settings, salesforce
):
    admin, headers = await _admin(client, databases)
    credential = await make_credential(
        client,
        headers,
        "salesforce",
        salesforce.url,
        api_key=TOKEN,
        settings={"instance_url": salesforce.url},
    )
    await make_destination(
        client,
        headers,
        "salesforce",
        credential,
        settings={"external_id_field": "Rastro_Lead_Id__c", "status_map": {"won": "Converted"}},
        events=["lead.created", "lead.stage_changed"],
    )
    salesforce.fail(1, 503, [{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}])
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases)
    await move_stage(databases, admin.organization_id, lead_id, "won")
    await drain(settings, databases)

    assert len(salesforce.leads) == 1
    (record,) = salesforce.leads.values()
    assert record["Rastro_Lead_Id__c"] == str(lead_id)
    assert record["Status"] == "Converted"
    assert record["FirstName"] == "Ana"
    assert record["LastName"] == "Souza"
    rows = await log_rows(databases, lead_id)
    assert sorted((r.event, r.status) for r in rows) == [
        ("lead.created", "failed"),
        ("lead.created", "success"),
        ("lead.stage_changed", "success"),
    ]
    failed = next(r for r in rows if r.status == "failed")
    assert "SERVER_UNAVAILABLE: Server unavailable" in (failed.error_message or "")
    assert failed.request_data["url"].endswith(f"/sobjects/Lead/Rastro_Lead_Id__c/{lead_id}")


async def test_salesforce_error_array_is_a_permanent_failure(
    client, databases, settings, salesforce
):
    admin, headers = await _admin(client, databases)
    credential = await make_credential(
        client,
        headers,
        "salesforce",
        salesforce.url,
        api_key="wrong-token-000000",
        settings={"instance_url": salesforce.url},
    )
    await make_destination(client, headers, "salesforce", credential)
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases)
    (row,) = await log_rows(databases, lead_id)
    assert (row.status, row.http_status) == ("failed", 401)
    assert row.error_message == "HTTP 401: INVALID_SESSION_ID: Session expired or invalid"
    assert row.response_data["errors"][0]["errorCode"] == "INVALID_SESSION_ID"


async def test_pipedrive_person_and_deal_once_then_deal_won(client, databases, settings, pipedrive):
    admin, headers = await _admin(client, databases)
    credential = await make_credential(client, headers, "pipedrive", pipedrive.url, api_key=TOKEN)
    await make_destination(
        client,
        headers,
        "pipedrive",
        credential,
        settings={"pipeline_id": 1, "stage_id": 2, "stage_map": {"won": 5}},
        events=["lead.created", "lead.stage_changed"],
    )
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases)

    assert all(r.headers["x-api-token"] == TOKEN for r in pipedrive.requests)
    (person,) = pipedrive.persons.values()
    assert person["name"] == "Ana Souza"
    assert person["emails"] == [
        {"value": "ana.souza@acme.com.br", "primary": True, "label": "work"}
    ]
    assert person["phones"][0]["value"] == "+5511987654321"
    (deal,) = pipedrive.deals.values()
    assert (deal["person_id"], deal["pipeline_id"], deal["stage_id"]) == (person["id"], 1, 2)
    (row,) = await log_rows(databases, lead_id)
    assert row.status == "success"
    assert row.response_data == {
        "person_id": person["id"],
        "deal_id": deal["id"],
        "external_id": str(person["id"]),
    }
    assert [s["url"].split("127.0.0.1")[1].split("/", 1)[1] for s in row.request_data["steps"]] == [
        "api/v2/persons/search",
        "api/v2/persons",
        "api/v2/deals",
        "api/v2/deals",
    ]
    assert TOKEN not in str(row.request_data)

    # The stage change updates the deal the first push created (no new person or deal).
    await move_stage(databases, admin.organization_id, lead_id, "won")
    await drain(settings, databases)
    assert len(pipedrive.persons) == 1
    assert len(pipedrive.deals) == 1
    assert deal["status"] == "won"
    assert deal["stage_id"] == 5


async def test_rdstation_conversion_then_sale(client, databases, settings, rdstation):
    admin, headers = await _admin(client, databases)
    credential = await make_credential(client, headers, "rdstation", rdstation.url, api_key=TOKEN)
    await make_destination(
        client,
        headers,
        "rdstation",
        credential,
        settings={"conversion_identifier": "form-landing-bf", "funnel_name": "default"},
        events=["lead.created", "lead.stage_changed"],
    )
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases)
    from decimal import Decimal

    await move_stage(
        databases, admin.organization_id, lead_id, "won", stage_value=Decimal("1500.00")
    )
    await drain(settings, databases)

    conversion, sale = rdstation.events
    assert rdstation.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert conversion["event_type"] == "CONVERSION"
    assert conversion["event_family"] == "CDP"
    assert conversion["payload"] == {
        "conversion_identifier": "form-landing-bf",
        "email": "ana.souza@acme.com.br",
        "name": "Ana Souza",
        "mobile_phone": "+5511987654321",
        "company_name": "Acme Ltda",
        "traffic_source": "google",
        "traffic_medium": "cpc",
        "traffic_campaign": "black-friday",
    }
    assert sale["event_type"] == "SALE"
    assert sale["payload"] == {
        "email": "ana.souza@acme.com.br",
        "funnel_name": "default",
        "value": 1500.0,
    }
    rows = await log_rows(databases, lead_id)
    assert [r.status for r in rows] == ["success", "success"]
    assert rows[0].response_data["event_uuid"] == conversion["event_uuid"]


async def test_destination_validation_and_permissions(client, databases, pipedrive):
    admin, headers = await _admin(client, databases)
    pipedrive_credential = await make_credential(
        client, headers, "pipedrive", pipedrive.url, api_key=TOKEN
    )
    webhook_credential = await make_credential(
        client, headers, "webhook", pipedrive.url, api_key="k" * 16, api_secret="s" * 16
    )
    _other_admin, other_headers = await _admin(client, databases)
    foreign = await make_credential(client, other_headers, "pipedrive", pipedrive.url)

    async def create(**body):
        payload = {
            "name": "D",
            "integration_name": "pipedrive",
            "credential_id": pipedrive_credential,
        }
        return await client.post("/api/crm/destinations", headers=headers, json=payload | body)

    wrong_service = await create(credential_id=webhook_credential)
    assert wrong_service.status_code == 422
    assert wrong_service.json()["error"]["details"][0]["loc"] == "body.credential_id"
    assert (await create(credential_id=foreign)).status_code == 422
    assert (await create(integration_name="zoho")).status_code == 422
    assert (await create(events=[])).status_code == 422
    assert (await create(events=["lead.deleted"])).status_code == 422
    bad_setting = await create(settings={"pipeline_id": "abc"})
    assert bad_setting.status_code == 422
    assert bad_setting.json()["error"]["details"][0]["loc"] == "body.settings.pipeline_id"
    bad_url = await create(
        integration_name="webhook",
        credential_id=webhook_credential,
        settings={"url": "ftp://example.com"},
    )
    assert bad_url.status_code == 422
    assert (await client.get("/api/crm/destinations", headers=headers)).json()["total"] == 0

    created = await create(settings={"pipeline_id": 3})
    assert created.status_code == 201
    body = created.json()
    assert body["integration_type"] == "crm"
    assert body["events"] == ["lead.created"]
    path = f"/api/crm/destinations/{body['destination_id']}"

    analyst = await make_account(databases, role="analyst", organization_id=admin.organization_id)
    analyst_headers = await auth_headers(client, analyst)
    assert (await client.get(path, headers=analyst_headers)).status_code == 200
    denied = await client.patch(path, headers=analyst_headers, json={"is_active": False})
    assert denied.status_code == 403
    denied = await client.post(
        "/api/crm/destinations",
        headers=analyst_headers,
        json={"name": "D", "integration_name": "pipedrive", "credential_id": pipedrive_credential},
    )
    assert denied.status_code == 403

    updated = await client.patch(
        path, headers=headers, json={"is_active": False, "events": ["lead.stage_changed"]}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["is_active"] is False
    assert updated.json()["settings"] == {"pipeline_id": 3}
    rejected = await client.patch(path, headers=headers, json={"settings": {"stage_map": []}})
    assert rejected.status_code == 422
    assert (await client.get(path, headers=headers)).json()["settings"] == {"pipeline_id": 3}
    assert (await client.delete(path, headers=headers)).status_code == 204
    assert (await client.get(path, headers=headers)).status_code == 404


async def test_test_endpoint_sends_a_sample_lead_now(client, databases):
    receiver = FakeWebhookReceiver().start()
    try:
        _, headers = await _admin(client, databases)
        credential = await make_credential(
            client, headers, "webhook", receiver.url, api_key="k" * 16, api_secret="s" * 16
        )
        destination = await make_destination(client, headers, "webhook", credential)
        response = await client.post(
            f"/api/crm/destinations/{destination['destination_id']}/test", headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["ok"] is True
        assert body["http_status"] == 200
        assert body["request"]["method"] == "POST"
        assert body["request"]["payload"]["lead"]["email"] == "rastro.test.lead@example.com"
        assert "s" * 16 not in response.text
        (request,) = receiver.requests
        assert request.headers["x-rastro-signature"].startswith("sha256=")

        receiver.fail(1, 500)
        failed = (
            await client.post(
                f"/api/crm/destinations/{destination['destination_id']}/test", headers=headers
            )
        ).json()
        assert failed["ok"] is False
        assert failed["http_status"] == 500
        assert (await client.get("/api/integrations-log", headers=headers)).json()["total"] == 0
    finally:
        receiver.stop()
