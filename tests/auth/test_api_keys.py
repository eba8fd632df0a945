"""API keys: shown once, hashed, scoped, revocable, last use recorded."""

from __future__ import annotations

from sqlalchemy import text

from rastro.core.db import SYSTEM
from rastro.core.security import sha256_hex
from tests.auth.factories import auth_headers, bearer, make_account


async def _create_key(client, headers, scopes):
    response = await client.post(
        "/api/api-keys", headers=headers, json={"name": "CRM callback", "scopes": scopes}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_key_is_shown_once_and_stored_only_as_a_hash(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    created = await _create_key(client, headers, ["credentials:read"])
    key = created["key"]
    assert key.startswith(created["api_key"]["prefix"] + "_")
    listed = await client.get("/api/api-keys", headers=headers)
    assert key not in listed.text
    assert listed.json()["items"][0]["created_by"]["id"] == str(admin.user_id)
    async with databases.crm.transaction(SYSTEM) as session:
        row = (await session.execute(text("SELECT * FROM api_keys"))).mappings().one()
    assert key not in str(dict(row))
    assert row["key_hash"] == sha256_hex(key)


async def test_key_authenticates_within_its_scopes_only(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    key = (await _create_key(client, headers, ["credentials:read"]))["key"]
    assert (await client.get("/api/credentials", headers=bearer(key))).status_code == 200
    assert (await client.get("/api/credentials", headers={"X-API-Key": key})).status_code == 200
    denied = await client.post(
        "/api/credentials",
        headers=bearer(key),
        json={"name": "x", "service": "utmify", "api_key": "abcdefghijklmnop"},
    )
    assert denied.status_code == 403
    assert (await client.get("/api/members", headers=bearer(key))).status_code == 403
    # endpoints for signed-in people are not for keys
    assert (await client.get("/api/auth/me", headers=bearer(key))).status_code == 403


async def test_revoked_key_stops_working(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    created = await _create_key(client, headers, ["organization:read"])
    assert (
        await client.get("/api/organization", headers=bearer(created["key"]))
    ).status_code == 200
    revoke = await client.delete(f"/api/api-keys/{created['api_key']['id']}", headers=headers)
    assert revoke.status_code == 204
    response = await client.get("/api/organization", headers=bearer(created["key"]))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    listed = (await client.get("/api/api-keys", headers=headers)).json()["items"][0]
    assert listed["revoked_at"] is not None


async def test_last_used_is_recorded(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    created = await _create_key(client, headers, ["organization:read"])
    assert created["api_key"]["last_used_at"] is None
    await client.get("/api/organization", headers=bearer(created["key"]))
    listed = (await client.get("/api/api-keys", headers=headers)).json()["items"][0]
    assert listed["last_used_at"] is not None


async def test_unknown_and_admin_only_scopes_cannot_be_granted(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    for scopes in (["nope:read"], ["members:write"], ["api_keys:write"]):
        response = await client.post(
            "/api/api-keys", headers=headers, json={"name": "k", "scopes": scopes}
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "unknown_scope"
    empty = await client.post("/api/api-keys", headers=headers, json={"name": "k", "scopes": []})
    assert empty.status_code == 422
    scopes = (await client.get("/api/api-keys/scopes", headers=headers)).json()
    names = {s["scope"] for s in scopes}
    assert "credentials:read" in names
    assert "members:write" not in names


async def test_a_key_cannot_manage_keys(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    key = (await _create_key(client, headers, ["organization:read"]))["key"]
    response = await client.post(
        "/api/api-keys",
        headers=bearer(key),
        json={"name": "escalate", "scopes": ["credentials:write"]},
    )
    assert response.status_code == 403
