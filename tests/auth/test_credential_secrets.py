"""Every secret of every service in the catalogue is encrypted at rest and masked in every
response; connectors still get the plain values; plain-text rows are migrated by rotation."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text

from rastro.auth.catalog import SERVICES, ServiceSpec
from rastro.auth.service import credentials as vault
from rastro.config import generate_encryption_key
from rastro.core.db import SYSTEM, Scope
from rastro.core.security import Keyring
from tests.auth.factories import auth_headers, make_account

# A setting no service declares, whose name says it is secret.
UNDECLARED = "client_secret"


def _secrets_of(spec: ServiceSpec) -> dict[str, str]:
    """A distinct value for the key, the secret and every secret setting of `spec`."""
    names = ["api_key", "api_secret", UNDECLARED]
    names += [f.name for f in spec.settings_fields if f.secret]
    return {name: f"{spec.service}-{name}-{uuid.uuid4().hex}" for name in names}


def _body(spec: ServiceSpec, secrets: dict[str, str]) -> dict[str, Any]:
    settings: dict[str, Any] = {f.name: "1234567890" for f in spec.settings_fields if f.required}
    settings |= {k: v for k, v in secrets.items() if k not in ("api_key", "api_secret")}
    return {
        "name": spec.label[:50],
        "service": spec.service,
        "api_key": secrets["api_key"],
        "api_secret": secrets["api_secret"],
        "settings": settings,
    }


async def _table_dump(databases) -> str:
    async with databases.crm.transaction(SYSTEM) as session:
        rows = (await session.execute(text("SELECT * FROM credentials"))).mappings().all()
    return "".join(
        repr(value) + (value.decode("latin-1") if isinstance(value, bytes) else "")
        for row in rows
        for value in row.values()
    )


async def _resolved(databases, keyring: Keyring, organization_id, credential_id: str):
    async with databases.crm.transaction(Scope.organization(organization_id)) as session:
        return await vault.resolve_credential(session, keyring, uuid.UUID(credential_id))


async def test_every_secret_of_every_service_is_encrypted_and_masked(client, databases, app):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    created: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
    for spec in SERVICES.values():
        secrets = _secrets_of(spec)
        response = await client.post("/api/credentials", headers=headers, json=_body(spec, secrets))
        assert response.status_code == 201, response.text
        created[spec.service] = (response.json(), secrets)

    every_secret = [value for _, secrets in created.values() for value in secrets.values()]
    assert "developer_token" in created["google_ads"][1]
    responses = [await client.get("/api/credentials?page_size=100", headers=headers)]
    for body, secrets in created.values():
        for name in secrets:
            if name not in ("api_key", "api_secret"):
                assert body["settings"][name] == "••••" + secrets[name][-4:], name
        responses.append(await client.get(f"/api/credentials/{body['id']}", headers=headers))
        # The dashboard sends the settings back as it got them: masked secrets are kept.
        responses.append(
            await client.put(
                f"/api/credentials/{body['id']}",
                headers=headers,
                json={"name": body["name"] + " 2", "settings": body["settings"]},
            )
        )
    for response in responses:
        assert response.status_code == 200, response.text
        assert [s for s in every_secret if s in response.text] == []
    assert responses[0].json()["total"] == len(SERVICES)

    dump = await _table_dump(databases)
    assert [s for s in every_secret if s in dump] == []

    keyring: Keyring = app.state.keyring
    for body, secrets in created.values():
        resolved = await _resolved(databases, keyring, admin.organization_id, body["id"])
        assert resolved.api_key == secrets["api_key"]
        assert resolved.api_secret == secrets["api_secret"]
        for name, value in secrets.items():
            if name not in ("api_key", "api_secret"):
                assert resolved.settings[name] == value
        assert resolved.settings.keys() == body["settings"].keys()


async def test_secret_settings_are_replaced_removed_and_must_be_text(client, databases, app):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    body = {
        "name": "Ads",
        "service": "google_ads",
        "api_key": "access-token-00000000",
        "settings": {"customer_id": "1234567890", "developer_token": "first-token-1111"},
    }
    cred = (await client.post("/api/credentials", headers=headers, json=body)).json()
    url = f"/api/credentials/{cred['id']}"
    replaced = await client.put(
        url,
        headers=headers,
        json={"settings": {"customer_id": "1234567890", "developer_token": "second-token-2222"}},
    )
    assert replaced.json()["settings"]["developer_token"] == "••••2222"
    resolved = await _resolved(databases, app.state.keyring, admin.organization_id, cred["id"])
    assert resolved.settings["developer_token"] == "second-token-2222"
    assert resolved.api_key == "access-token-00000000"

    omitted = await client.put(url, headers=headers, json={"settings": {"customer_id": "987"}})
    assert omitted.json()["settings"] == {"customer_id": "987", "developer_token": "••••2222"}
    removed = await client.put(
        url, headers=headers, json={"settings": {"customer_id": "987", "developer_token": None}}
    )
    assert removed.json()["settings"] == {"customer_id": "987"}
    resolved = await _resolved(databases, app.state.keyring, admin.organization_id, cred["id"])
    assert "developer_token" not in resolved.settings

    not_text = await client.put(
        url, headers=headers, json={"settings": {"customer_id": "1", "developer_token": 12}}
    )
    assert not_text.status_code == 422
    assert not_text.json()["error"]["details"][0]["loc"] == "body.settings.developer_token"


async def test_rotation_encrypts_secret_settings_stored_in_plain_text(client, databases, settings):
    """Rows written before secret settings were encrypted: masked at once, encrypted by
    `rastro keys rotate` (reencrypt_all), which is idempotent."""
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    body = {
        "name": "Ads",
        "service": "google_ads",
        "api_key": "access-token-00000000",
        "settings": {"customer_id": "1234567890"},
    }
    cred = (await client.post("/api/credentials", headers=headers, json=body)).json()
    legacy = {"developer_token": "legacy-devtoken-9876", "refresh_token": "legacy-refresh-5432"}
    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            text("UPDATE credentials SET settings = settings || CAST(:legacy AS jsonb)"),
            {"legacy": json.dumps(legacy)},
        )
    shown = await client.get(f"/api/credentials/{cred['id']}", headers=headers)
    assert shown.json()["settings"]["developer_token"] == "••••9876"
    assert [v for v in legacy.values() if v in shown.text] == []
    old = Keyring(settings.encryption_key_value)
    resolved = await _resolved(databases, old, admin.organization_id, cred["id"])
    assert resolved.settings["developer_token"] == legacy["developer_token"]

    same_key = Keyring(settings.encryption_key_value)
    async with databases.crm.transaction(SYSTEM) as session:
        assert await vault.reencrypt_all(session, same_key) == 1
    async with databases.crm.transaction(SYSTEM) as session:
        assert await vault.reencrypt_all(session, same_key) == 0  # idempotent
    assert [v for v in legacy.values() if v in await _table_dump(databases)] == []
    resolved = await _resolved(databases, same_key, admin.organization_id, cred["id"])
    assert {k: resolved.settings[k] for k in legacy} == legacy

    new_key = generate_encryption_key()
    rotated = Keyring(f"{new_key},{settings.encryption_key_value}")
    async with databases.crm.transaction(SYSTEM) as session:
        assert await vault.reencrypt_all(session, rotated) == 1
    resolved = await _resolved(databases, Keyring(new_key), admin.organization_id, cred["id"])
    assert {k: resolved.settings[k] for k in legacy} == legacy
    assert resolved.api_key == "access-token-00000000"
