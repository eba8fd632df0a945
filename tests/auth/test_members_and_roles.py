"""Members, roles and what each role may do."""

from __future__ import annotations

import pytest

from tests.auth.factories import auth_headers, login, make_account

CREDENTIAL = {
    "name": "Meta BR",
    "service": "meta",
    "api_key": "EAAB-secret-token-123456",
    "settings": {"pixel_id": "123"},
}


@pytest.mark.parametrize(
    ("role", "read_members", "read_credentials", "write_credentials", "manage_keys"),
    [
        ("viewer", 403, 403, 403, 403),
        ("analyst", 200, 403, 403, 403),
        ("manager", 200, 200, 403, 403),
        ("admin", 200, 200, 201, 200),
    ],
)
async def test_role_permissions(
    client, databases, role, read_members, read_credentials, write_credentials, manage_keys
):
    owner = await make_account(databases)
    account = await make_account(databases, role=role, organization_id=owner.organization_id)
    headers = await auth_headers(client, account)
    assert (await client.get("/api/members", headers=headers)).status_code == read_members
    assert (await client.get("/api/credentials", headers=headers)).status_code == read_credentials
    created = await client.post("/api/credentials", headers=headers, json=CREDENTIAL)
    assert created.status_code == write_credentials
    if created.status_code == 403:
        assert created.json()["error"] == {
            "code": "forbidden",
            "message": "Missing permission 'credentials:write'.",
            "details": {"permission": "credentials:write"},
        }
    assert (await client.get("/api/api-keys", headers=headers)).status_code == manage_keys


async def test_admin_invites_a_new_member_who_registers_with_the_token_shown_once(
    client, databases
):
    # Issue 16: adding a member by e-mail is an invitation; a person without an account
    # registers with its one-time token (this replaced the temporary password).
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    response = await client.post(
        "/api/members",
        headers=headers,
        json={"email": "  New.Person@Example.com ", "role": "analyst"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["invitation"]["email"] == "new.person@example.com"
    token = body["token"]
    assert token
    assert len(token) >= 12
    registered = await client.post(
        "/api/auth/invitations/register",
        json={"token": token, "name": "New Person", "password": "a long password"},
    )
    assert registered.status_code == 200, registered.text
    signed_in = await client.post(
        "/api/auth/login", json={"email": "new.person@example.com", "password": "a long password"}
    )
    assert signed_in.status_code == 200
    listed = (await client.get("/api/members", headers=headers)).json()
    assert listed["total"] == 2
    assert token not in str(listed)
    again = await client.post(
        "/api/members",
        headers=headers,
        json={"email": "new.person@example.com", "role": "viewer"},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_member"


async def test_an_invitation_token_works_once(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    response = await client.post(
        "/api/members", headers=headers, json={"email": "p@example.com", "role": "viewer"}
    )
    token = response.json()["token"]
    register = {"token": token, "name": "P", "password": "a long password"}
    assert (await client.post("/api/auth/invitations/register", json=register)).status_code == 200
    replay = await client.post("/api/auth/invitations/register", json=register)
    assert replay.status_code == 404
    assert replay.json()["error"]["code"] == "invitation_not_found"


async def test_role_change_and_deactivation_take_effect_immediately(client, databases):
    admin = await make_account(databases)
    member = await make_account(databases, role="manager", organization_id=admin.organization_id)
    admin_headers = await auth_headers(client, admin)
    member_headers = await auth_headers(client, member)
    assert (await client.get("/api/credentials", headers=member_headers)).status_code == 200

    demoted = await client.patch(
        f"/api/members/{member.user_id}", headers=admin_headers, json={"role": "viewer"}
    )
    assert demoted.json()["role"] == "viewer"
    assert (await client.get("/api/credentials", headers=member_headers)).status_code == 403

    await client.patch(
        f"/api/members/{member.user_id}", headers=admin_headers, json={"is_active": False}
    )
    assert (await client.get("/api/auth/me", headers=member_headers)).status_code == 401
    relogin = await client.post(
        "/api/auth/login", json={"email": member.email, "password": member.password}
    )
    assert relogin.status_code == 403
    assert relogin.json()["error"]["code"] == "account_disabled"


async def test_the_last_admin_cannot_be_demoted_or_deactivated(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    for change in ({"role": "manager"}, {"is_active": False}):
        response = await client.patch(f"/api/members/{admin.user_id}", headers=headers, json=change)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "last_admin"
    second = await make_account(databases, role="admin", organization_id=admin.organization_id)
    response = await client.patch(
        f"/api/members/{admin.user_id}", headers=headers, json={"role": "manager"}
    )
    assert response.status_code == 200
    assert second.user_id


async def test_members_list_is_paginated(client, databases):
    admin = await make_account(databases)
    for _ in range(3):
        await make_account(databases, role="viewer", organization_id=admin.organization_id)
    headers = await auth_headers(client, admin)
    page = (await client.get("/api/members?page=2&page_size=3", headers=headers)).json()
    assert page["total"] == 4
    assert page["page"] == 2
    assert len(page["items"]) == 1
    bad = await client.get("/api/members?page_size=1000", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["loc"] == "query.page_size"


async def test_organization_settings_read_by_all_changed_by_admin(client, databases):
    admin = await make_account(databases)
    viewer = await make_account(databases, role="viewer", organization_id=admin.organization_id)
    viewer_headers = await auth_headers(client, viewer)
    org = (await client.get("/api/organization", headers=viewer_headers)).json()
    assert (org["currency"], org["timezone"], org["locale"]) == (
        "BRL",
        "America/Sao_Paulo",
        "pt-BR",
    )
    assert (
        await client.patch("/api/organization", headers=viewer_headers, json={"name": "X"})
    ).status_code == 403
    tokens = await login(client, admin)
    changed = await client.patch(
        "/api/organization",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        json={"name": "Loja Nova", "currency": "USD"},
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["currency"]) == ("Loja Nova", "USD")
