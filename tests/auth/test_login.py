"""Sign-in, tokens, refresh rotation, logout, expiry, rate limiting."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from rastro.auth.models import AuthSession, User
from rastro.core.db import SYSTEM
from rastro.core.security import encode_jwt
from tests.auth.factories import auth_headers, bearer, login, make_account


async def test_login_returns_tokens_and_me_describes_the_user(client, databases):
    account = await make_account(databases, name="Ana Souza")
    tokens = await login(client, account)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 15 * 60
    me = (await client.get("/api/auth/me", headers=bearer(tokens["access_token"]))).json()
    assert me["email"] == account.email
    assert me["name"] == "Ana Souza"
    assert me["role"] == "admin"
    assert me["organization"]["id"] == str(account.organization_id)
    assert [o["id"] for o in me["organizations"]] == [str(account.organization_id)]
    assert "credentials:write" in me["permissions"]
    # What every page formats money and days by.
    assert me["organization"]["currency"] == "BRL"
    assert me["organization"]["timezone"]


async def test_login_is_case_insensitive_on_email(client, databases):
    account = await make_account(databases)
    response = await client.post(
        "/api/auth/login",
        json={"email": "  " + account.email.upper(), "password": account.password},
    )
    assert response.status_code == 200


async def test_wrong_password_and_unknown_user_get_the_same_401(client, databases):
    account = await make_account(databases)
    wrong = await client.post("/api/auth/login", json={"email": account.email, "password": "nope"})
    unknown = await client.post(
        "/api/auth/login", json={"email": "ghost@example.com", "password": "nope"}
    )
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_credentials"
    assert wrong.json() == unknown.json()


async def test_disabled_account_is_refused_with_its_own_message(client, databases):
    account = await make_account(databases)
    async with databases.crm.transaction(SYSTEM) as session:
        (await session.get(User, account.user_id)).is_active = False
    response = await client.post(
        "/api/auth/login", json={"email": account.email, "password": account.password}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_disabled"


async def test_requests_without_a_token_get_401_envelope(client):
    response = await client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_garbage_and_forged_tokens_are_rejected(client, databases, settings):
    account = await make_account(databases)
    tokens = await login(client, account)
    forged = encode_jwt(
        "another-secret-" + "y" * 40,
        subject=str(account.user_id),
        token_type="access",
        lifetime=timedelta(minutes=5),
        claims={"sid": str(uuid.uuid4()), "org": str(account.organization_id)},
    )
    refresh_as_access = tokens["refresh_token"]
    for token in ("garbage", forged, refresh_as_access):
        response = await client.get("/api/auth/me", headers=bearer(token))
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"


async def test_expired_access_token_says_token_expired(client, databases, settings):
    account = await make_account(databases)
    await login(client, account)
    async with databases.crm.transaction(SYSTEM) as session:
        auth_session = await session.scalar(
            select(AuthSession).where(AuthSession.user_id == account.user_id)
        )
    expired = encode_jwt(
        settings.secret_key_value,
        subject=str(account.user_id),
        token_type="access",
        lifetime=timedelta(seconds=-5),
        claims={"sid": str(auth_session.id), "org": str(account.organization_id)},
    )
    response = await client.get("/api/auth/me", headers=bearer(expired))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


async def test_refresh_rotates_and_a_replayed_refresh_token_ends_the_session(client, databases):
    account = await make_account(databases)
    first = await login(client, account)
    second = (
        await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (
        await client.get("/api/auth/me", headers=bearer(second["access_token"]))
    ).status_code == 200

    replay = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    # the replay revoked the whole session, including the legitimately rotated tokens
    assert (
        await client.get("/api/auth/me", headers=bearer(second["access_token"]))
    ).status_code == 401
    again = await client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert again.status_code == 401


async def test_malformed_refresh_token_is_401_not_500(client):
    for token in ("x" * 20, "nothex.1.abc", f"{uuid.uuid4().hex}.notanint.abc"):
        response = await client.post("/api/auth/refresh", json={"refresh_token": token})
        assert response.status_code == 401, token


async def test_logout_makes_access_and_refresh_tokens_stop_working(client, databases):
    account = await make_account(databases)
    tokens = await login(client, account)
    headers = bearer(tokens["access_token"])
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401
    response = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 401


async def test_logout_ends_only_that_session(client, databases):
    account = await make_account(databases)
    phone = await login(client, account)
    laptop = await login(client, account)
    await client.post("/api/auth/logout", headers=bearer(phone["access_token"]))
    assert (
        await client.get("/api/auth/me", headers=bearer(laptop["access_token"]))
    ).status_code == 200


async def test_failed_logins_are_rate_limited_per_account_with_retry_after(client, databases):
    account = await make_account(databases)
    for _ in range(5):
        response = await client.post(
            "/api/auth/login", json={"email": account.email, "password": "bad"}
        )
        assert response.status_code == 401
    blocked = await client.post(
        "/api/auth/login", json={"email": account.email, "password": account.password}
    )
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60 + 1
    # another account from the same address is not blocked by this account's failures
    other = await make_account(databases)
    assert (
        await client.post(
            "/api/auth/login", json={"email": other.email, "password": other.password}
        )
    ).status_code == 200


async def test_a_successful_login_resets_the_account_counter(client, databases):
    account = await make_account(databases)
    for _ in range(4):
        await client.post("/api/auth/login", json={"email": account.email, "password": "bad"})
    await login(client, account)
    for _ in range(4):
        await client.post("/api/auth/login", json={"email": account.email, "password": "bad"})
    assert (
        await client.post(
            "/api/auth/login", json={"email": account.email, "password": account.password}
        )
    ).status_code == 200


async def test_failed_logins_are_rate_limited_per_ip(client, databases, app):
    app.state.settings = app.state.settings.model_copy(update={"login_max_failures_per_ip": 3})
    try:
        for n in range(3):
            await client.post(
                "/api/auth/login", json={"email": f"nobody{n}@x.com", "password": "bad"}
            )
        account = await make_account(databases)
        response = await client.post(
            "/api/auth/login", json={"email": account.email, "password": account.password}
        )
        assert response.status_code == 429
    finally:
        app.state.settings = app.state.settings.model_copy(update={"login_max_failures_per_ip": 30})


async def test_password_change_requires_the_current_password_and_ends_other_sessions(
    client, databases
):
    account = await make_account(databases)
    mine = await login(client, account)
    other = await login(client, account)
    headers = bearer(mine["access_token"])
    wrong = await client.post(
        "/api/auth/password",
        headers=headers,
        json={"current_password": "not it", "new_password": "a brand new password"},
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "wrong_password"
    short = await client.post(
        "/api/auth/password",
        headers=headers,
        json={"current_password": account.password, "new_password": "short"},
    )
    assert short.status_code == 422
    ok = await client.post(
        "/api/auth/password",
        headers=headers,
        json={"current_password": account.password, "new_password": "a brand new password"},
    )
    assert ok.status_code == 204
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    assert (
        await client.get("/api/auth/me", headers=bearer(other["access_token"]))
    ).status_code == 401
    relogin = await client.post(
        "/api/auth/login", json={"email": account.email, "password": "a brand new password"}
    )
    assert relogin.status_code == 200


async def test_profile_update_changes_language_and_theme(client, databases):
    account = await make_account(databases)
    headers = await auth_headers(client, account)
    response = await client.patch(
        "/api/auth/me", headers=headers, json={"locale": "en", "theme": "dark"}
    )
    assert response.status_code == 200
    assert (response.json()["locale"], response.json()["theme"]) == ("en", "dark")
    bad = await client.patch("/api/auth/me", headers=headers, json={"locale": "fr"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["loc"] == "body.locale"


async def test_switch_organization_moves_the_session(client, databases):
    account = await make_account(databases)
    other_org_owner = await make_account(databases)
    await make_account(databases, role="viewer", organization_id=other_org_owner.organization_id)
    headers = await auth_headers(client, account)
    # not a member of the other organization yet: 404
    response = await client.post(
        "/api/auth/switch-organization",
        headers=headers,
        json={"organization_id": str(other_org_owner.organization_id)},
    )
    assert response.status_code == 404
    created = await client.post(
        "/api/organizations", headers=headers, json={"name": "Agência Dois"}
    )
    assert created.status_code == 201
    assert created.json()["slug"] == "agencia-dois"
    switched = await client.post(
        "/api/auth/switch-organization",
        headers=headers,
        json={"organization_id": created.json()["id"]},
    )
    assert switched.status_code == 200
    me = (await client.get("/api/auth/me", headers=bearer(switched.json()["access_token"]))).json()
    assert me["organization"]["name"] == "Agência Dois"
    assert len(me["organizations"]) == 2
