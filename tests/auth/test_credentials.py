"""The credentials vault: encrypted at rest, never returned, api_url override, key rotation."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from rastro.auth.service import credentials as vault
from rastro.config import generate_encryption_key
from rastro.core.db import SYSTEM, Scope
from rastro.core.http import HttpClient, RetryPolicy
from rastro.core.security import Keyring, KeyringError
from tests.auth.factories import auth_headers, make_account
from tests.fakes.base import FakeServer

SECRET_KEY = "EAAGm0PX4ZCpsBA-very-secret-token-9f3k"
SECRET = "app-secret-0f9e8d7c6b5a"


def _payload(**extra):
    return {
        "name": "Meta BR",
        "service": "meta",
        "api_key": SECRET_KEY,
        "api_secret": SECRET,
        "settings": {"pixel_id": "1234567890"},
        **extra,
    }


async def _raw_rows(databases) -> list[dict]:
    async with databases.crm.transaction(SYSTEM) as session:
        rows = (await session.execute(text("SELECT * FROM credentials"))).mappings().all()
    return [dict(r) for r in rows]


async def test_secrets_are_encrypted_at_rest_and_masked_in_every_response(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    created = await client.post("/api/credentials", headers=headers, json=_payload())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["api_key_masked"] == "••••9f3k"
    assert body["api_secret_masked"] == "••••6b5a"
    assert body["settings"] == {"pixel_id": "1234567890"}
    responses = [
        created,
        await client.get("/api/credentials", headers=headers),
        await client.get(f"/api/credentials/{body['id']}", headers=headers),
        await client.put(f"/api/credentials/{body['id']}", headers=headers, json={"name": "Meta"}),
    ]
    for response in responses:
        assert response.status_code == 200 or response.status_code == 201
        assert SECRET_KEY not in response.text
        assert SECRET not in response.text
    (row,) = await _raw_rows(databases)
    dump = repr(row).encode() + b"".join(v for v in row.values() if isinstance(v, bytes))
    assert SECRET_KEY.encode() not in dump
    assert SECRET.encode() not in dump
    assert row["key_id"]


async def test_short_secrets_show_no_characters(client, databases):
    headers = await auth_headers(client, await make_account(databases))
    body = (
        await client.post(
            "/api/credentials",
            headers=headers,
            json={"name": "U", "service": "utmify", "api_key": "short-key"},
        )
    ).json()
    assert body["api_key_masked"] == "••••"
    assert body["api_secret_masked"] is None


async def test_update_keeps_omitted_secrets_and_replaces_given_ones(client, databases, app):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    cred = (await client.post("/api/credentials", headers=headers, json=_payload())).json()
    await client.put(f"/api/credentials/{cred['id']}", headers=headers, json={"name": "renamed"})
    async with databases.crm.transaction(Scope.organization(admin.organization_id)) as session:
        resolved = await vault.resolve_credential(session, app.state.keyring, uuid.UUID(cred["id"]))
    assert (resolved.api_key, resolved.api_secret) == (SECRET_KEY, SECRET)
    assert SECRET_KEY not in repr(resolved)

    updated = await client.put(
        f"/api/credentials/{cred['id']}",
        headers=headers,
        json={"api_secret": "new-secret-value-1234"},
    )
    assert updated.json()["api_secret_masked"] == "••••1234"
    async with databases.crm.transaction(Scope.organization(admin.organization_id)) as session:
        resolved = await vault.resolve_credential(session, app.state.keyring, uuid.UUID(cred["id"]))
    assert (resolved.api_key, resolved.api_secret) == (SECRET_KEY, "new-secret-value-1234")


async def test_unknown_service_and_missing_required_settings_are_422(client, databases):
    headers = await auth_headers(client, await make_account(databases))
    unknown = await client.post(
        "/api/credentials", headers=headers, json=_payload(service="myspace")
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["loc"] == "body.service"
    missing = await client.post("/api/credentials", headers=headers, json=_payload(settings={}))
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["loc"] == "body.settings.pixel_id"
    bad_url = await client.post(
        "/api/credentials", headers=headers, json=_payload(api_url="ftp://x")
    )
    assert bad_url.status_code == 422
    assert (await client.get("/api/credentials", headers=headers)).json()["total"] == 0


async def test_api_url_overrides_the_service_base_url_for_calls(client, databases, app):
    fake = FakeServer().start()
    try:
        admin = await make_account(databases)
        headers = await auth_headers(client, admin)
        default = (await client.post("/api/credentials", headers=headers, json=_payload())).json()
        override = (
            await client.post(
                "/api/credentials",
                headers=headers,
                json=_payload(name="Meta test", api_url=fake.url + "/"),
            )
        ).json()
        assert override["api_url"] == fake.url
        async with databases.crm.transaction(Scope.organization(admin.organization_id)) as session:
            plain = await vault.resolve_credential(
                session, app.state.keyring, uuid.UUID(default["id"])
            )
            local = await vault.resolve_credential(
                session, app.state.keyring, uuid.UUID(override["id"])
            )
        assert plain.base_url == "https://graph.facebook.com"
        assert local.base_url == fake.url
        async with HttpClient(local.base_url, retry=RetryPolicy(attempts=1)) as http:
            response = await http.post(
                "/v26.0/1234567890/events", params={"access_token": local.api_key}
            )
        assert response.status_code == 200
        assert fake.requests[-1].path == "/v26.0/1234567890/events"

        cleared = await client.put(
            f"/api/credentials/{override['id']}", headers=headers, json={"api_url": None}
        )
        assert cleared.json()["api_url"] is None
    finally:
        fake.stop()


async def test_delete_removes_the_credential(client, databases):
    headers = await auth_headers(client, await make_account(databases))
    cred = (await client.post("/api/credentials", headers=headers, json=_payload())).json()
    assert (
        await client.delete(f"/api/credentials/{cred['id']}", headers=headers)
    ).status_code == 204
    assert (await client.get(f"/api/credentials/{cred['id']}", headers=headers)).status_code == 404


async def test_key_rotation_reencrypts_so_the_old_key_can_be_dropped(client, databases, settings):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    cred = (await client.post("/api/credentials", headers=headers, json=_payload())).json()
    old_spec = settings.encryption_key_value
    new_key = generate_encryption_key()
    rotated = Keyring(f"{new_key},{old_spec}")
    async with databases.crm.transaction(SYSTEM) as session:
        assert await vault.reencrypt_all(session, rotated) == 1
    async with databases.crm.transaction(SYSTEM) as session:
        assert await vault.reencrypt_all(session, rotated) == 0  # idempotent
    (row,) = await _raw_rows(databases)
    assert row["key_id"] == rotated.primary_id != Keyring(old_spec).primary_id
    async with databases.crm.transaction(Scope.organization(admin.organization_id)) as session:
        resolved = await vault.resolve_credential(session, Keyring(new_key), uuid.UUID(cred["id"]))
    assert (resolved.api_key, resolved.api_secret) == (SECRET_KEY, SECRET)


async def test_a_ciphertext_copied_to_another_row_does_not_decrypt(client, databases, app):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    a = (await client.post("/api/credentials", headers=headers, json=_payload())).json()
    b = (
        await client.post(
            "/api/credentials", headers=headers, json=_payload(name="B", api_key="other-key-000000")
        )
    ).json()
    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            text(
                "UPDATE credentials SET api_key_encrypted = "
                "(SELECT api_key_encrypted FROM credentials WHERE id = :a) WHERE id = :b"
            ),
            {"a": a["id"], "b": b["id"]},
        )
    async with databases.crm.transaction(Scope.organization(admin.organization_id)) as session:
        with pytest.raises(KeyringError):
            await vault.resolve_credential(session, app.state.keyring, uuid.UUID(b["id"]))
