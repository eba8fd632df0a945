"""Connect an ad account: the organization's app, the platform's authorization page (a fake
that consents at once), the callback that keeps the tokens in an inactive credential, the
accounts the token reaches, the pick that completes and activates it, and refresh tokens
that the platform rotates written back to the vault."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from rastro.auth.service import credentials
from rastro.conversions.service import platform_oauth
from rastro.core.db import Scope
from rastro.core.security import Keyring
from tests.auth.factories import auth_headers, make_account
from tests.fakes import ad_connect
from tests.fakes.ad_connect import FakeAdConnect

APPS = {
    "google": (
        "google_oauth_app",
        {"developer_token": ad_connect.DEVELOPER_TOKEN},
        "/o/oauth2/v2/auth",
        "/token",
    ),
    "meta": ("meta_oauth_app", {}, "/v21.0/dialog/oauth", None),
    "linkedin": ("linkedin_oauth_app", {}, "/oauth/v2/authorization", "/oauth/v2/accessToken"),
    "tiktok": ("tiktok_oauth_app", {}, "/portal/auth", None),
}


@pytest.fixture
def platform() -> Iterator[FakeAdConnect]:
    server = FakeAdConnect().start()
    yield server
    server.stop()


async def add_app(
    client: httpx.AsyncClient, headers: dict[str, str], fake: FakeAdConnect, name: str
) -> None:
    service, settings, authorize, token = APPS[name]
    settings = {**settings, "authorize_url": fake.url + authorize}
    if token:
        settings["token_url"] = fake.url + token
    response = await client.post(
        "/api/credentials",
        headers=headers,
        json={
            "name": f"{name} app",
            "service": service,
            "api_key": ad_connect.CLIENT_ID,
            "api_secret": ad_connect.CLIENT_SECRET,
            "api_url": fake.url,
            "settings": settings,
        },
    )
    assert response.status_code == 201, response.text


async def connect(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> str:
    """Start, consent at the fake, come back through the callback: the new credential's id."""
    started = await client.post(f"/api/conversions/connect/{name}/start", headers=headers)
    assert started.status_code == 200, started.text
    url = started.json()["authorization_url"]
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(url)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    assert back.path == "/api/conversions/connect/callback"
    callback = await client.get(f"{back.path}?{back.query}")
    assert callback.status_code == 303, callback.text
    target = parse_qs(urlsplit(callback.headers["location"]).query)
    assert target["connect"] == [name]
    return target["credential"][0]


async def vault(databases: Any, account: Any, credential_id: str, settings: Any) -> Any:
    keyring = Keyring(settings.encryption_key_value)
    async with databases.crm.transaction(Scope.organization(account.organization_id)) as s:
        return await credentials.resolve_credential(s, keyring, credential_id)


async def test_google_connects_lists_manager_clients_and_activates_the_pick(
    client, databases, settings, platform
):
    account = await make_account(databases)
    headers = await auth_headers(client, account)
    refused = await client.post("/api/conversions/connect/google/start", headers=headers)
    assert refused.status_code == 422  # no app yet: say so
    await add_app(client, headers, platform, "google")
    credential_id = await connect(client, headers, "google")
    stored = (await client.get(f"/api/credentials/{credential_id}", headers=headers)).json()
    assert stored["service"] == "google_ads"
    assert stored["is_active"] is False  # until an account is picked
    resolved = await vault(databases, account, credential_id, settings)
    assert resolved.api_key == ad_connect.REFRESH  # the refresh token, encrypted at rest
    assert resolved.settings["oauth_client_id"] == ad_connect.CLIENT_ID

    accounts = await client.get(
        f"/api/conversions/connect/{credential_id}/accounts", headers=headers
    )
    assert accounts.status_code == 200, accounts.text
    by_id = {a["id"]: a for a in accounts.json()}
    assert by_id[ad_connect.CLIENT]["login_customer_id"] == ad_connect.MANAGER
    assert by_id[ad_connect.MANAGER]["manager"] is True

    unknown = await client.put(
        f"/api/conversions/connect/{credential_id}/account",
        headers=headers,
        json={"account_id": "999"},
    )
    assert unknown.status_code == 422
    picked = await client.put(
        f"/api/conversions/connect/{credential_id}/account",
        headers=headers,
        json={"account_id": ad_connect.CLIENT},
    )
    assert picked.status_code == 204, picked.text
    done = (await client.get(f"/api/credentials/{credential_id}", headers=headers)).json()
    assert done["is_active"] is True
    assert done["settings"]["customer_id"] == ad_connect.CLIENT
    assert done["settings"]["login_customer_id"] == ad_connect.MANAGER
    assert "Loja Cliente" in done["name"]

    # Another organization neither sees nor picks for this credential.
    other = await auth_headers(client, await make_account(databases))
    assert (
        await client.get(f"/api/conversions/connect/{credential_id}/accounts", headers=other)
    ).status_code == 404


@pytest.mark.parametrize(
    ("name", "service", "pick", "expect"),
    [
        ("meta", "meta", {"account_id": "777", "pixel_id": "PX1"}, {"pixel_id": "PX1"}),
        ("linkedin", "linkedin", {"account_id": "5151"}, {"ad_account_id": "5151"}),
        (
            "tiktok",
            "tiktok",
            {"account_id": "7001", "pixel_code": "TTPX"},
            {"advertiser_id": "7001", "pixel_code": "TTPX"},
        ),
    ],
)
async def test_meta_linkedin_and_tiktok_connect_and_pick(
    client, databases, settings, platform, name, service, pick, expect
):
    account = await make_account(databases)
    headers = await auth_headers(client, account)
    await add_app(client, headers, platform, name)
    credential_id = await connect(client, headers, name)
    accounts = await client.get(
        f"/api/conversions/connect/{credential_id}/accounts", headers=headers
    )
    assert accounts.status_code == 200, accounts.text
    assert [a["id"] for a in accounts.json()] == [pick["account_id"]]
    if name == "meta":
        assert accounts.json()[0]["pixels"] == [{"id": "PX1", "name": "Pixel da loja"}]
        no_pixel = await client.put(
            f"/api/conversions/connect/{credential_id}/account",
            headers=headers,
            json={"account_id": "777", "pixel_id": "other"},
        )
        assert no_pixel.status_code == 422
    picked = await client.put(
        f"/api/conversions/connect/{credential_id}/account", headers=headers, json=pick
    )
    assert picked.status_code == 204, picked.text
    done = (await client.get(f"/api/credentials/{credential_id}", headers=headers)).json()
    assert done["service"] == service
    assert done["is_active"] is True
    assert expect.items() <= done["settings"].items()
    resolved = await vault(databases, account, credential_id, settings)
    expected_key = ad_connect.REFRESH if name == "linkedin" else None
    if name == "meta":
        expected_key = ad_connect.LONG_LIVED  # the long-lived token, not the 1-hour one
    if name == "tiktok":
        expected_key = ad_connect.ACCESS
    assert resolved.api_key == expected_key


async def test_a_tampered_or_refused_callback_changes_nothing(client, databases, platform):
    account = await make_account(databases)
    headers = await auth_headers(client, account)
    await add_app(client, headers, platform, "google")
    started = await client.post("/api/conversions/connect/google/start", headers=headers)
    state = parse_qs(urlsplit(started.json()["authorization_url"]).query)["state"][0]
    tampered = state[:-2] + ("AA" if not state.endswith("AA") else "BB")
    bad = await client.get(f"/api/conversions/connect/callback?state={tampered}&code=x")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"]
    denied = await client.get(
        f"/api/conversions/connect/callback?state={state}&error=access_denied"
    )
    assert denied.status_code == 303
    assert "error=denied" in denied.headers["location"]
    wrong_code = await client.get(f"/api/conversions/connect/callback?state={state}&code=nope")
    assert wrong_code.status_code == 303
    assert "error=refused" in wrong_code.headers["location"]
    listed = (await client.get("/api/credentials?service=google_ads", headers=headers)).json()
    assert listed["total"] == 0
    assert (
        await client.post("/api/conversions/connect/myspace/start", headers=headers)
    ).status_code == 404


async def test_a_rotated_refresh_token_is_written_back(client, databases, settings):
    platform_oauth.TOKENS.clear()
    fake = FakeAdConnect(rotate=True).start()
    try:
        account = await make_account(databases)
        headers = await auth_headers(client, account)
        await add_app(client, headers, fake, "google")
        credential_id = await connect(client, headers, "google")
        # Listing the accounts refreshes the token: the platform answers a new refresh
        # token and stops taking the old one.
        listed = await client.get(
            f"/api/conversions/connect/{credential_id}/accounts", headers=headers
        )
        assert listed.status_code == 200, listed.text
        resolved = await vault(databases, account, credential_id, settings)
        assert resolved.api_key == ad_connect.ROTATED
        assert fake.refresh_tokens == {ad_connect.ROTATED}
        # The next refresh uses the rotated token (the old one would be refused).
        again = await client.get(
            f"/api/conversions/connect/{credential_id}/accounts", headers=headers
        )
        assert again.status_code == 200, again.text
        fake.revoked = True
        revoked = await client.get(
            f"/api/conversions/connect/{credential_id}/accounts", headers=headers
        )
        assert revoked.status_code == 422
        assert revoked.json()["error"]["details"][0]["type"] == "reconnect"
    finally:
        fake.stop()
        platform_oauth.TOKENS.clear()


async def test_reconnecting_replaces_the_tokens_of_the_same_credential(
    client, databases, settings, platform
):
    account = await make_account(databases)
    headers = await auth_headers(client, account)
    await add_app(client, headers, platform, "google")
    credential_id = await connect(client, headers, "google")
    await client.put(
        f"/api/conversions/connect/{credential_id}/account",
        headers=headers,
        json={"account_id": ad_connect.CLIENT},
    )
    platform.refresh_tokens = {ad_connect.REFRESH, "refresh-after-reconnect"}
    started = await client.post(
        f"/api/conversions/connect/google/start?reconnect={credential_id}", headers=headers
    )
    assert started.status_code == 200, started.text
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(started.json()["authorization_url"])
    back = urlsplit(consent.headers["location"])
    callback = await client.get(f"{back.path}?{back.query}")
    assert parse_qs(urlsplit(callback.headers["location"]).query)["credential"] == [credential_id]
    listed = (await client.get("/api/credentials?service=google_ads", headers=headers)).json()
    assert listed["total"] == 1  # the same credential, its account still picked
    assert listed["items"][0]["settings"]["customer_id"] == ad_connect.CLIENT
    other = await auth_headers(client, await make_account(databases))
    foreign = await client.post(
        f"/api/conversions/connect/google/start?reconnect={credential_id}", headers=other
    )
    assert foreign.status_code in (404, 422)
