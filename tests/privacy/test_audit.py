"""The access audit log: reads of personal data, exports and admin actions are recorded
(who, what, when, from where); other requests are not; the application role cannot
change or delete an entry, and a trigger refuses it to anyone else; admins filter it,
page it and download it as CSV."""

from __future__ import annotations

import csv
import io
import uuid

import psycopg
import pytest

from rastro.core.db import Scope
from rastro.crm.models import Note
from tests.auth.factories import auth_headers, make_account
from tests.crm.factories import make_leads

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


async def _admin(client, databases):
    admin = await make_account(databases)
    return admin, {**await auth_headers(client, admin), "User-Agent": CHROME}


async def _log(client, headers, **filters):
    response = await client.get("/api/privacy/audit", headers=headers, params=filters)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_reads_of_personal_data_are_recorded_with_who_and_where(client, databases):
    admin, headers = await _admin(client, databases)
    [lead] = await make_leads(databases, admin.organization_id)

    assert (await client.get(f"/api/leads/{lead.lead_id}", headers=headers)).status_code == 200
    assert (
        await client.get(f"/api/contacts/{lead.contact_id}", headers=headers)
    ).status_code == 200
    assert (await client.get("/api/leads", headers=headers)).status_code == 200
    assert (await client.get("/api/contacts", headers=headers)).status_code == 200

    entries = await _log(client, headers)
    seen = {(e["action"], e["entity_type"], e["entity_id"]) for e in entries}
    assert seen == {
        ("read", "lead", str(lead.lead_id)),
        ("read", "contact", str(lead.contact_id)),
        ("list", "lead", None),
        ("list", "contact", None),
    }
    entry = next(e for e in entries if e["entity_type"] == "lead" and e["action"] == "read")
    assert entry["actor_id"] == str(admin.user_id)
    assert entry["actor_kind"] == "user"
    assert entry["actor_name"]
    assert entry["ip"] == "203.0.113.7"  # the test client's address
    assert entry["user_agent"] == "Chrome / Windows / desktop"  # reduced, no version
    assert entry["path"] == "/api/leads/{lead_id}"
    assert entry["method"] == "GET"


async def test_failed_reads_and_other_requests_write_nothing(client, databases):
    _, headers = await _admin(client, databases)
    missing = await client.get(f"/api/leads/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    assert (await client.get("/api/pipeline", headers=headers)).status_code == 200
    assert (await client.get("/api/leads")).status_code == 401
    assert await _log(client, headers) == []


async def test_exports_deletions_and_admin_actions_are_recorded(client, databases):
    admin, headers = await _admin(client, databases)
    [lead] = await make_leads(databases, admin.organization_id)
    member = await make_account(databases, role="viewer", organization_id=admin.organization_id)
    async with databases.crm.transaction(Scope.organization(admin.organization_id)) as crm:
        note = Note(lead_id=lead.lead_id, body="call back")
        crm.add(note)
        await crm.flush()
        note_id = note.note_id

    export = await client.get("/api/leads/export", headers=headers)
    assert export.status_code == 200
    role = await client.patch(
        f"/api/members/{member.user_id}", headers=headers, json={"role": "analyst"}
    )
    assert role.status_code == 200, role.text
    deleted = await client.delete(f"/api/notes/{note_id}", headers=headers)
    assert deleted.status_code == 204

    entries = await _log(client, headers)
    seen = {(e["action"], e["path"], e["entity_id"]) for e in entries}
    assert ("export", "/api/leads/export", None) in seen
    assert ("admin", "/api/members/{user_id}", str(member.user_id)) in seen
    assert ("delete", "/api/notes/{note_id}", str(note_id)) in seen
    assert len(entries) == 3


async def test_filters_pages_and_csv(client, databases):
    admin, headers = await _admin(client, databases)
    other = await make_account(databases, role="admin", organization_id=admin.organization_id)
    other_headers = await auth_headers(client, other)
    leads = await make_leads(databases, admin.organization_id, 3)
    for lead in leads:
        await client.get(f"/api/leads/{lead.lead_id}", headers=headers)
    await client.get("/api/contacts", headers=other_headers)

    assert len(await _log(client, headers, actor_id=str(other.user_id))) == 1
    assert len(await _log(client, headers, action="read")) == 3
    assert len(await _log(client, headers, entity_type="contact")) == 1
    by_id = await _log(client, headers, entity_id=str(leads[0].lead_id))
    assert [e["entity_id"] for e in by_id] == [str(leads[0].lead_id)]
    assert await _log(client, headers, since="2999-01-01T00:00:00Z") == []
    page = await client.get("/api/privacy/audit?page=2&page_size=3", headers=headers)
    assert page.json()["total"] == 4
    assert len(page.json()["items"]) == 1
    bad = await client.get("/api/privacy/audit?action=wipe", headers=headers)
    assert bad.status_code == 422
    bad_date = await client.get("/api/privacy/audit?since=yesterday", headers=headers)
    assert bad_date.status_code == 422

    response = await client.get("/api/privacy/audit/export?action=read", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 3
    assert {r["action"] for r in rows} == {"read"}
    # The download itself is an export, recorded after it.
    exports = await _log(client, headers, action="export")
    assert [e["path"] for e in exports] == ["/api/privacy/audit/export"]


async def test_only_admins_see_the_log_and_only_their_organization(client, databases):
    admin, headers = await _admin(client, databases)
    [lead] = await make_leads(databases, admin.organization_id)
    await client.get(f"/api/leads/{lead.lead_id}", headers=headers)
    manager = await make_account(databases, role="manager", organization_id=admin.organization_id)
    denied = await client.get("/api/privacy/audit", headers=await auth_headers(client, manager))
    assert denied.status_code == 403
    _, stranger = await _admin(client, databases)
    assert await _log(client, stranger) == []


async def test_the_log_is_append_only(client, databases, test_databases, pg_server):
    admin, headers = await _admin(client, databases)
    [lead] = await make_leads(databases, admin.organization_id)
    await client.get(f"/api/leads/{lead.lead_id}", headers=headers)
    scope = "SELECT set_config('rastro.scope', 'system', false)"
    with psycopg.connect(test_databases.crm_url, autocommit=True) as app_role:
        app_role.execute(scope)
        assert app_role.execute("SELECT count(*) FROM privacy_audit_log").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            app_role.execute("UPDATE privacy_audit_log SET action = 'list'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            app_role.execute("DELETE FROM privacy_audit_log")
        # Inserting is what it may do.
        app_role.execute(
            "INSERT INTO privacy_audit_log (entry_id, organization_id, actor_kind, actor_id, "
            "action, entity_type, method, path) VALUES (gen_random_uuid(), %s, 'user', %s, "
            "'read', 'lead', 'GET', '/x')",
            (admin.organization_id, admin.user_id),
        )
    superuser = pg_server.superuser_conninfo(test_databases.crm_name)
    with psycopg.connect(superuser, autocommit=True) as owner:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            owner.execute("UPDATE privacy_audit_log SET action = 'list'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            owner.execute("DELETE FROM privacy_audit_log")
        assert owner.execute("SELECT count(*) FROM privacy_audit_log").fetchone() == (2,)
