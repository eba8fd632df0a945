"""Data-subject requests: an export finds the person in every store of both databases; an
erasure leaves nothing findable (a scan of every column) and is forwarded to HubSpot's
GDPR delete; bad input is refused, an unknown person is answered "nothing found"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from rastro.core.db import Scope
from rastro.crm.models import Lead
from rastro.tracking.models import TrackedSession
from tests.auth.factories import auth_headers, make_account
from tests.fakes.hubspot import FakeHubSpot
from tests.integrations.push_factories import make_credential, make_destination
from tests.privacy.people import STORES, add_person
from tests.privacy.scan import find_anywhere

TOKEN = "pat-na1-00000000-0000-0000-0000-000000000000"


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot(TOKEN).start()
    yield fake
    fake.stop()


async def _admin(client, databases):
    admin = await make_account(databases)
    return admin, await auth_headers(client, admin)


async def _request(client, headers, **body):
    response = await client.post("/api/privacy/requests", headers=headers, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "received"
    assert created["days_left"] == 15
    return created


async def _run(client, headers, request_id):
    response = await client.post(f"/api/privacy/requests/{request_id}/run", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_export_finds_the_person_in_every_store(client, databases):
    admin, headers = await _admin(client, databases)
    person = await add_person(databases, admin.organization_id)
    other = await add_person(
        databases,
        admin.organization_id,
        email="joao@example.com",
        phone="+5521912345678",
        name="João Souza",
    )

    created = await _request(client, headers, kind="export", email="  Maria.Silva@Example.com.br ")
    assert created["email"] == person.email  # normalized while open
    done = await _run(client, headers, created["request_id"])
    assert done["status"] == "done"
    assert done["email"] == "m***@example.com.br"  # masked once closed
    assert set(done["proof"]["found"]) == set(STORES)
    assert done["proof"]["erased"] == {}

    download = await client.get(
        f"/api/privacy/requests/{created['request_id']}/export", headers=headers
    )
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    document = download.json()
    assert set(document["stores"]) == set(STORES)
    assert document["stores"]["leads"][0]["email"] == person.email
    assert document["stores"]["utm_tracking"][0]["client_ip"] == person.ip
    assert document["stores"]["payments"][0]["customer_data"]["phone"] == person.phone
    text = download.text
    assert other.email not in text
    assert str(other.lead_id) not in text

    # The export was audited as one.
    log = await client.get("/api/privacy/audit?action=export", headers=headers)
    assert [e["entity_id"] for e in log.json()["items"]] == [created["request_id"]]


async def test_export_by_phone_alone_finds_the_same_person(client, databases):
    admin, headers = await _admin(client, databases)
    await add_person(databases, admin.organization_id)
    created = await _request(client, headers, kind="export", phone="(11) 98765-4321")
    assert created["phone"] == "+5511987654321"  # the organization's country (BR)
    done = await _run(client, headers, created["request_id"])
    assert done["proof"]["found"]["contacts"] == 1
    assert done["proof"]["found"]["leads"] == 1


async def test_erasure_leaves_nothing_findable_and_is_forwarded(
    client, databases, test_databases, hubspot
):
    admin, headers = await _admin(client, databases)
    credential = await make_credential(client, headers, "hubspot", hubspot.url, api_key=TOKEN)
    await make_destination(client, headers, "hubspot", credential)
    hubspot.contacts["1001"] = {"id": "1001", "properties": {"email": "maria.silva@example.com.br"}}
    person = await add_person(databases, admin.organization_id)
    keep = await add_person(
        databases,
        admin.organization_id,
        email="joao@example.com",
        phone="+5521912345678",
        name="João Souza",
        ip="203.0.113.99",
    )
    before = find_anywhere(test_databases.crm_url, [person.email]) + find_anywhere(
        test_databases.bi_url, [person.ip]
    )
    assert before  # the scan sees what it looks for

    export = await _request(client, headers, kind="export", email=person.email)
    await _run(client, headers, export["request_id"])
    erase = await _request(client, headers, kind="erase", email=person.email, phone=person.phone)
    done = await _run(client, headers, erase["request_id"])

    assert done["status"] == "done"
    proof = done["proof"]
    assert proof["erased"]["contacts"] == 1
    assert proof["erased"]["leads"] == 1
    assert proof["erased"]["privacy_subject_requests"] == 1  # the earlier export's JSON
    assert proof["erased_at"] is not None
    forwarded = {f["platform"]: f for f in proof["forwarded"]}
    assert forwarded["hubspot"]["status"] == "deleted"
    assert forwarded["meta"]["status"] == "unsupported"
    assert "no call to delete" in forwarded["meta"]["detail"]
    assert hubspot.gdpr_deleted == ["1001"]
    gdpr_calls = [r for r in hubspot.requests if r.path.endswith("/gdpr-delete")]
    assert gdpr_calls[0].json == {"objectId": person.email, "idProperty": "email"}

    # Nothing about the person anywhere, in either database; the other person intact.
    assert find_anywhere(test_databases.crm_url, [*person.traces, person.visitor_id]) == []
    assert find_anywhere(test_databases.bi_url, [*person.traces, person.visitor_id]) == []
    assert find_anywhere(test_databases.crm_url, [keep.email, keep.phone])
    assert find_anywhere(test_databases.bi_url, [keep.ip])
    old_export = await client.get(
        f"/api/privacy/requests/{export['request_id']}/export", headers=headers
    )
    assert old_export.status_code == 409

    # A new search finds nothing; the figures still count the lead and the session.
    again = await _request(client, headers, kind="export", email=person.email)
    again = await _run(client, headers, again["request_id"])
    assert again["proof"]["found"] == {}
    scope = Scope.organization(admin.organization_id)
    async with databases.crm.transaction(scope) as crm:
        assert await crm.scalar(select(func.count()).select_from(Lead)) == 2
    async with databases.bi.transaction(scope) as bi:
        assert await bi.scalar(select(func.count()).select_from(TrackedSession)) == 2


async def test_unknown_person_is_answered_nothing_found(client, databases, hubspot):
    _, headers = await _admin(client, databases)
    credential = await make_credential(client, headers, "hubspot", hubspot.url, api_key=TOKEN)
    await make_destination(client, headers, "hubspot", credential)
    created = await _request(client, headers, kind="erase", email="nobody@example.org")
    done = await _run(client, headers, created["request_id"])
    assert done["status"] == "done"
    assert done["proof"]["found"] == {}
    assert done["proof"]["erased"] == {}
    # HubSpot is still asked: it blocklists an address it does not know.
    assert hubspot.blocklist == {"nobody@example.org"}


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "export"},
        {"kind": "export", "email": "not-an-address"},
        {"kind": "export", "phone": "12"},
        {"kind": "delete", "email": "a@example.com"},
        {"kind": "export", "email": "+tag@example.com"},
    ],
)
async def test_malformed_requests_are_422(client, databases, body):
    _, headers = await _admin(client, databases)
    response = await client.post("/api/privacy/requests", headers=headers, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] in {"validation_error", "unprocessable_entity"}
    listed = await client.get("/api/privacy/requests", headers=headers)
    assert listed.json()["total"] == 0


async def test_reject_closes_and_masks_and_a_closed_request_cannot_run(client, databases):
    _, headers = await _admin(client, databases)
    created = await _request(client, headers, kind="erase", email="ana@example.com")
    response = await client.post(
        f"/api/privacy/requests/{created['request_id']}/reject",
        headers=headers,
        json={"reason": "Identity not confirmed"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "rejected"
    assert body["email"] == "a***@example.com"
    assert body["rejection_reason"] == "Identity not confirmed"
    again = await client.post(f"/api/privacy/requests/{created['request_id']}/run", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "subject_request_closed"


async def test_requests_are_for_admins_and_stay_in_their_organization(client, databases):
    admin, headers = await _admin(client, databases)
    created = await _request(client, headers, kind="export", email="ana@example.com")
    manager = await make_account(databases, role="manager", organization_id=admin.organization_id)
    manager_headers = await auth_headers(client, manager)
    assert (await client.get("/api/privacy/requests", headers=manager_headers)).status_code == 403
    _, stranger = await _admin(client, databases)
    response = await client.get(f"/api/privacy/requests/{created['request_id']}", headers=stranger)
    assert response.status_code == 404
