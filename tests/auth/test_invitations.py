"""Membership needs consent and reveals nothing (issue 16, item 7)."""

from __future__ import annotations

from tests.auth.factories import auth_headers, bearer, make_account


async def _invite(client, headers, email, role="admin"):  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/members", headers=headers, json={"email": email, "role": role}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _organizations(client, headers):  # type: ignore[no-untyped-def]
    return {o["id"] for o in (await client.get("/api/organizations", headers=headers)).json()}


async def test_inviting_an_existing_user_reveals_nothing_and_needs_her_consent(client, databases):
    alice = await make_account(databases, name="Alice Secret Name")  # admin of A
    admin_b = await make_account(databases)
    b = await auth_headers(client, admin_b)

    existing = await _invite(client, b, alice.email)
    unknown = await _invite(client, b, "nobody-here@example.com")
    # The same shape, and nothing about the person: no name, no user id, no password.
    assert existing.keys() == unknown.keys() == {"invitation", "delivery", "token"}
    assert existing["delivery"] == unknown["delivery"] == "link"  # no MAIL_SENDER in tests
    assert existing["invitation"].keys() == unknown["invitation"].keys()
    assert "Alice Secret Name" not in str(existing)
    assert str(alice.user_id) not in str(existing)
    assert existing["invitation"]["status"] == unknown["invitation"]["status"] == "pending"

    # Not a member of B until she accepts.
    members = (await client.get("/api/members", headers=b)).json()
    assert members["total"] == 1
    pending = (await client.get("/api/members/invitations", headers=b)).json()
    assert {i["email"] for i in pending["items"]} == {alice.email, "nobody-here@example.com"}
    alice_headers = await auth_headers(client, alice)
    assert str(admin_b.organization_id) not in await _organizations(client, alice_headers)
    # the token does not create a second account for an e-mail that has one
    taken = await client.post(
        "/api/auth/invitations/register",
        json={"token": existing["token"], "name": "Mallory", "password": "a long password"},
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "sign_in_to_accept"

    mine = (await client.get("/api/auth/invitations", headers=alice_headers)).json()
    assert [(i["organization"]["id"], i["role"]) for i in mine] == [
        (str(admin_b.organization_id), "admin")
    ]
    accepted = await client.post(
        f"/api/auth/invitations/{mine[0]['id']}/accept", headers=alice_headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "admin"
    assert str(admin_b.organization_id) in {
        str(x) for x in await _organizations(client, alice_headers)
    }
    assert (await client.get("/api/members", headers=b)).json()["total"] == 2
    assert (await client.get("/api/auth/invitations", headers=alice_headers)).json() == []
    again = await client.post(
        f"/api/auth/invitations/{mine[0]['id']}/accept", headers=alice_headers
    )
    assert again.status_code == 404


async def test_declined_revoked_and_other_peoples_invitations_give_no_membership(client, databases):
    alice = await make_account(databases)
    bob = await make_account(databases)
    admin_b = await make_account(databases)
    b = await auth_headers(client, admin_b)
    alice_headers = await auth_headers(client, alice)
    bob_headers = await auth_headers(client, bob)

    await _invite(client, b, alice.email, role="viewer")
    [invitation] = (await client.get("/api/auth/invitations", headers=alice_headers)).json()
    # Bob cannot accept or decline Alice's invitation.
    for action in ("accept", "decline"):
        stolen = await client.post(
            f"/api/auth/invitations/{invitation['id']}/{action}", headers=bob_headers
        )
        assert stolen.status_code == 404
    declined = await client.post(
        f"/api/auth/invitations/{invitation['id']}/decline", headers=alice_headers
    )
    assert declined.status_code == 204
    assert (await client.get("/api/members/invitations", headers=b)).json()["total"] == 0
    assert (
        await client.post(f"/api/auth/invitations/{invitation['id']}/accept", headers=alice_headers)
    ).status_code == 404

    created = await _invite(client, b, bob.email)
    [pending] = (await client.get("/api/members/invitations", headers=b)).json()["items"]
    # another organization's admin cannot revoke it
    other = await auth_headers(client, await make_account(databases))
    assert (
        await client.delete(f"/api/members/invitations/{pending['id']}", headers=other)
    ).status_code == 404
    revoked = await client.delete(f"/api/members/invitations/{pending['id']}", headers=b)
    assert revoked.status_code == 204
    assert (await client.get("/api/auth/invitations", headers=bob_headers)).json() == []
    assert created["invitation"]["id"] == pending["id"]
    assert (await client.get("/api/members", headers=b)).json()["total"] == 1


async def test_inviting_again_renews_the_token_and_only_admins_invite(client, databases):
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    first = await _invite(client, headers, "new@example.com", role="viewer")
    second = await _invite(client, headers, "new@example.com", role="manager")
    assert first["invitation"]["id"] == second["invitation"]["id"]
    assert second["invitation"]["role"] == "manager"
    old = await client.post(
        "/api/auth/invitations/register",
        json={"token": first["token"], "name": "N", "password": "a long password"},
    )
    assert old.status_code == 404
    tokens = (
        await client.post(
            "/api/auth/invitations/register",
            json={"token": second["token"], "name": "N", "password": "a long password"},
        )
    ).json()
    me = (await client.get("/api/auth/me", headers=bearer(tokens["access_token"]))).json()
    assert (me["organization"]["id"], me["role"]) == (str(admin.organization_id), "manager")

    manager = await make_account(databases, role="manager", organization_id=admin.organization_id)
    denied = await client.post(
        "/api/members",
        headers=await auth_headers(client, manager),
        json={"email": "x@example.com", "role": "admin"},
    )
    assert denied.status_code == 403
