"""Pushing leads to CRMs and webhooks: one integrations_log row per attempt, retries with
backoff for transient failures only, no duplicates at the CRM, tenant isolation."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from rastro.core.db import SYSTEM
from rastro.crm.models import Activity
from tests.auth.factories import auth_headers, make_account
from tests.fakes.hubspot import FakeHubSpot
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

TOKEN = "pat-na1-0123456789abcdef0123"
SECRET = "whsec-0123456789abcdef-secret"


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot(TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    fake = FakeWebhookReceiver().start()
    yield fake
    fake.stop()


async def _hubspot_setup(client, databases, hubspot, **destination):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    credential = await make_credential(
        client, headers, "hubspot", hubspot.url, api_key=TOKEN, api_secret="client-secret-xyz"
    )
    created = await make_destination(client, headers, "hubspot", credential, **destination)
    return admin, headers, created


async def test_hubspot_contact_upserted_by_email_with_bearer_token(
    client, databases, settings, hubspot
):
    admin, _headers, _ = await _hubspot_setup(
        client, databases, hubspot, settings={"property_map": {"source": "utm_source"}}
    )
    hubspot.properties.add("utm_source")
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases)

    (request,) = hubspot.requests
    assert request.path == "/crm/v3/objects/contacts/batch/upsert"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    (item,) = request.json["inputs"]
    assert item["idProperty"] == "email"
    assert item["id"] == "ana.souza@acme.com.br"
    assert item["properties"] == {
        "email": "ana.souza@acme.com.br",
        "firstname": "Ana",
        "lastname": "Souza",
        "phone": "+5511987654321",
        "company": "Acme Ltda",
        "hs_lead_status": "NEW",
        "utm_source": "google",
    }
    (row,) = await log_rows(databases, lead_id)
    assert (row.status, row.retry_count, row.http_status) == ("success", 0, 200)
    assert row.request_data["method"] == "POST"
    assert row.request_data["url"] == f"{hubspot.url}/crm/v3/objects/contacts/batch/upsert"
    assert row.request_data["payload"]["inputs"][0]["id"] == "ana.souza@acme.com.br"
    assert TOKEN not in json.dumps(row.request_data)
    assert row.processed_at is not None
    (contact,) = hubspot.contacts.values()
    assert row.response_data["external_id"] == contact["id"]
    assert (await get_lead(databases, lead_id)).external_id == contact["id"]
    async with databases.crm.transaction(SYSTEM) as session:
        types = (
            await session.scalars(select(Activity.activity_type).where(Activity.lead_id == lead_id))
        ).all()
    assert types == ["integration_sent"]


async def test_failing_twice_then_succeeding_logs_three_attempts_and_one_contact(
    client, databases, settings, hubspot
):
    admin, headers, _ = await _hubspot_setup(client, databases, hubspot)
    hubspot.fail(2, 503, {"status": "error", "message": "Service unavailable"})
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases)

    rows = await log_rows(databases, lead_id)
    assert [(r.retry_count, r.status, r.http_status) for r in rows] == [
        (0, "failed", 503),
        (1, "failed", 503),
        (2, "success", 200),
    ]
    assert "503" in (rows[0].error_message or "")
    assert len(hubspot.requests) == 3
    assert len(hubspot.contacts) == 1
    assert {r.request_data["delivery_id"] for r in rows} == {rows[0].request_data["delivery_id"]}
    # The failed attempts are visible through the API, newest first.
    page = (
        await client.get("/api/integrations-log", headers=headers, params={"lead_id": str(lead_id)})
    ).json()
    assert page["total"] == 3
    assert [i["retry_count"] for i in page["items"]] == [2, 1, 0]
    failed = (
        await client.get("/api/integrations-log", headers=headers, params={"status": "failed"})
    ).json()
    assert failed["total"] == 2


async def test_validation_error_fails_at_once_without_retry(client, databases, settings, hubspot):
    # The portal has no `utm_campaign` property: HubSpot answers 400 VALIDATION_ERROR.
    admin, _headers, _ = await _hubspot_setup(
        client, databases, hubspot, settings={"property_map": {"campaign": "utm_campaign"}}
    )
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases)

    (row,) = await log_rows(databases, lead_id)
    assert (row.status, row.retry_count, row.http_status) == ("failed", 0, 400)
    assert 'Property "utm_campaign" does not exist' in (row.error_message or "")
    assert row.response_data["category"] == "VALIDATION_ERROR"
    assert len(hubspot.requests) == 1
    assert hubspot.contacts == {}
    async with databases.crm.transaction(SYSTEM) as session:
        types = (
            await session.scalars(select(Activity.activity_type).where(Activity.lead_id == lead_id))
        ).all()
    assert types == ["integration_failed"]


async def test_timeouts_are_retried_three_times_then_stay_failed(
    client, databases, settings, hubspot
):
    admin, _, _ = await _hubspot_setup(client, databases, hubspot)
    hubspot.hang(1.5, times=4)
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases, crm_push_timeout_seconds=0.3)

    rows = await log_rows(databases, lead_id)
    assert [(r.retry_count, r.status) for r in rows] == [
        (0, "failed"),
        (1, "failed"),
        (2, "failed"),
        (3, "failed"),
    ]
    assert all(r.error_message == "Timed out after 0.3s." for r in rows)
    assert all(r.http_status is None for r in rows)
    await drain(settings, databases)
    assert len(await log_rows(databases, lead_id)) == 4  # nothing more was queued


async def test_backoff_schedules_the_retry_later_and_honours_retry_after(
    client, databases, settings, hubspot
):
    admin, _, _ = await _hubspot_setup(client, databases, hubspot)
    hubspot.fail(1, 429, {"status": "error", "message": "rate limited"}, **{"Retry-After": "120"})
    lead_id = await make_lead(databases, admin.organization_id)
    before = datetime.now(UTC)
    await drain(settings, databases, crm_push_retry_base_seconds=30.0)

    first, second = await log_rows(databases, lead_id)
    assert (first.status, first.http_status) == ("failed", 429)
    assert (second.status, second.retry_count) == ("pending", 1)
    async with databases.crm.transaction(SYSTEM) as session:
        (scheduled_at,) = (
            await session.execute(
                text(
                    "SELECT scheduled_at FROM procrastinate_jobs "
                    "WHERE status = 'todo' AND task_name = 'crm:push_lead'"
                )
            )
        ).one()
    assert before + timedelta(seconds=119) <= scheduled_at <= before + timedelta(seconds=125)
    # Not due yet: another drain leaves it alone; once due, it runs.
    await drain(settings, databases)
    assert (await log_rows(databases, lead_id))[1].status == "pending"
    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")
        )
    await drain(settings, databases)
    assert [r.status for r in await log_rows(databases, lead_id)] == ["failed", "success"]
    assert len(hubspot.contacts) == 1


async def test_retry_endpoint_queues_a_fresh_attempt(client, databases, settings, hubspot):
    admin, headers, _ = await _hubspot_setup(
        client, databases, hubspot, settings={"property_map": {"campaign": "utm_campaign"}}
    )
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases)
    (failed,) = await log_rows(databases, lead_id)
    assert failed.status == "failed"

    viewer = await make_account(databases, role="viewer", organization_id=admin.organization_id)
    viewer_headers = await auth_headers(client, viewer)
    denied = await client.post(
        f"/api/integrations-log/{failed.log_id}/retry", headers=viewer_headers
    )
    assert denied.status_code == 403
    assert (await client.get("/api/integrations-log", headers=viewer_headers)).json()["total"] == 1

    hubspot.properties.add("utm_campaign")  # the admin created the property in HubSpot
    response = await client.post(f"/api/integrations-log/{failed.log_id}/retry", headers=headers)
    assert response.status_code == 202, response.text
    fresh = response.json()
    assert (fresh["status"], fresh["retry_count"]) == ("pending", 1)
    assert fresh["log_id"] != str(failed.log_id)
    await drain(settings, databases)

    rows = await log_rows(databases, lead_id)
    assert [(r.retry_count, r.status) for r in rows] == [(0, "failed"), (1, "success")]
    assert (await client.get(f"/api/integrations-log/{fresh['log_id']}", headers=headers)).json()[
        "status"
    ] == "success"
    again = await client.post(f"/api/integrations-log/{fresh['log_id']}/retry", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert len(hubspot.contacts) == 1


async def test_other_organization_cannot_see_or_retry_logs(client, databases, settings, hubspot):
    admin, _headers, destination = await _hubspot_setup(
        client, databases, hubspot, settings={"property_map": {"campaign": "utm_campaign"}}
    )
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases)
    (row,) = await log_rows(databases, lead_id)

    other = await auth_headers(client, await make_account(databases))
    listed = (await client.get("/api/integrations-log", headers=other)).json()
    assert listed["total"] == 0
    assert listed["items"] == []
    by_lead = await client.get(
        "/api/integrations-log", headers=other, params={"lead_id": str(lead_id)}
    )
    assert by_lead.json()["total"] == 0
    assert (
        await client.get(f"/api/integrations-log/{row.log_id}", headers=other)
    ).status_code == 404
    retry = await client.post(f"/api/integrations-log/{row.log_id}/retry", headers=other)
    assert retry.status_code == 404
    assert (await client.get("/api/crm/destinations", headers=other)).json()["total"] == 0
    path = f"/api/crm/destinations/{destination['destination_id']}"
    assert (await client.get(path, headers=other)).status_code == 404
    assert (await client.delete(path, headers=other)).status_code == 404


async def test_webhook_is_signed_and_keeps_its_delivery_id_across_retries(
    client, databases, settings, receiver
):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    credential = await make_credential(
        client, headers, "webhook", receiver.url, api_key="unused-key-0000", api_secret=SECRET
    )
    await make_destination(
        client,
        headers,
        "webhook",
        credential,
        settings={"url": f"{receiver.url}/hooks/leads"},
        events=["lead.created", "lead.stage_changed"],
    )
    receiver.fail(1, 500)
    lead_id = await make_lead(databases, admin.organization_id)
    await drain(settings, databases)

    assert len(receiver.requests) == 2
    for request in receiver.requests:
        assert request.path == "/hooks/leads"
        timestamp = request.headers["x-rastro-timestamp"]
        expected = hmac.new(
            SECRET.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
        ).hexdigest()
        assert request.headers["x-rastro-signature"] == f"sha256={expected}"
        assert abs(int(timestamp) - datetime.now(UTC).timestamp()) < 60
        assert request.headers["x-rastro-event"] == "lead.created"
        assert request.headers["content-type"] == "application/json"
    first, second = receiver.requests
    assert first.headers["x-rastro-delivery"] == second.headers["x-rastro-delivery"]
    document = json.loads(second.body)
    assert document["event"] == "lead.created"
    assert document["delivery_id"] == second.headers["x-rastro-delivery"]
    assert document["organization_id"] == str(admin.organization_id)
    assert document["lead"]["lead_id"] == str(lead_id)
    assert document["lead"]["email"] == "ana.souza@acme.com.br"
    assert document["lead"]["attribution"]["source"] == "google"
    assert document["lead"]["attribution"]["campaign"] == "black-friday"
    assert document["lead"]["stage"] == "new"
    # A tampered body does not verify.
    tampered = second.body.replace(b"google", b"bing")
    forged = hmac.new(
        SECRET.encode(),
        second.headers["x-rastro-timestamp"].encode() + b"." + tampered,
        hashlib.sha256,
    ).hexdigest()
    assert second.headers["x-rastro-signature"] != f"sha256={forged}"

    # A stage change is a new delivery with its own id.
    await move_stage(databases, admin.organization_id, lead_id, "qualified")
    await drain(settings, databases)
    stage_request = receiver.requests[-1]
    assert stage_request.headers["x-rastro-event"] == "lead.stage_changed"
    assert stage_request.headers["x-rastro-delivery"] != first.headers["x-rastro-delivery"]
    assert json.loads(stage_request.body)["lead"]["stage"] == "qualified"


async def test_only_active_destinations_subscribed_to_the_event_get_pushes(
    client, databases, settings, hubspot, receiver
):
    admin, headers, hub = await _hubspot_setup(client, databases, hubspot)
    credential = await make_credential(
        client, headers, "webhook", receiver.url, api_key="key-0000000000", api_secret=SECRET
    )
    await make_destination(client, headers, "webhook", credential, events=["lead.stage_changed"])
    inactive = await make_destination(client, headers, "webhook", credential, is_active=False)
    lead_id = await make_lead(databases, admin.organization_id)
    rows = await log_rows(databases, lead_id)
    assert [(r.destination_id, r.status) for r in rows] == [
        (uuid.UUID(hub["destination_id"]), "pending")
    ]
    await drain(settings, databases)
    assert receiver.requests == []
    await move_stage(databases, admin.organization_id, lead_id, "won")
    await drain(settings, databases)
    assert len(receiver.requests) == 1  # the stage subscriber only, not the inactive one
    assert inactive["is_active"] is False


async def test_destination_removed_before_the_job_runs_fails_the_attempt(
    client, databases, settings, hubspot
):
    admin, headers, destination = await _hubspot_setup(client, databases, hubspot)
    lead_id = await make_lead(databases, admin.organization_id)
    deleted = await client.delete(
        f"/api/crm/destinations/{destination['destination_id']}", headers=headers
    )
    assert deleted.status_code == 204
    await drain(settings, databases)
    (row,) = await log_rows(databases, lead_id)
    assert row.status == "failed"
    assert row.destination_id is None
    assert hubspot.requests == []
