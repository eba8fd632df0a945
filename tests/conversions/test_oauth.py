"""OAuth access tokens from a refresh token for the ad-platform connectors: a credential
with `oauth_client_id` keeps the refresh token and the client secret; the connector sends
a fresh access token (refreshed at a fake token endpoint, cached across syncs), refreshes
once on a 401, and fails the batch for good when the grant is refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rastro.conversions.models import ConversionSync, PlatformSyncLog
from rastro.core.http import HttpClient
from rastro.core.oauth import RefreshGrant, TokenCache
from tests.conversions.factories import Org, create_conversion, make_lead, make_org, rows, sync
from tests.fakes.google_ads import FakeGoogleAds
from tests.fakes.google_data_manager import FakeDataManager
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.oauth import FakeTokenEndpoint

CLIENT_ID = "1234-fake.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-client-secret-0001"
REFRESH = "1//0fake-refresh-token-abcdef"
ACCESS = "ya29.refreshed-access-token-0001"
ACCESS_2 = "ya29.refreshed-access-token-0002"
DEVELOPER_TOKEN = "fake-dev-token-abc"
CUSTOMER_ID = "1234567890"
ACTION_ID = "987654321"
RULE_ID = "104012"
SECRETS = (CLIENT_SECRET, REFRESH, ACCESS, ACCESS_2)


@pytest.fixture
def token_endpoint() -> Iterator[FakeTokenEndpoint]:
    server = FakeTokenEndpoint(CLIENT_ID, CLIENT_SECRET, REFRESH, (ACCESS, ACCESS_2)).start()
    yield server
    server.stop()


@pytest.fixture
def data_manager() -> Iterator[FakeDataManager]:
    # Accepts only the access token the token endpoint issues, never the refresh token.
    server = FakeDataManager(ACCESS, CUSTOMER_ID, actions=(ACTION_ID,)).start()
    yield server
    server.stop()


async def oauth_org(
    client, databases, service: str, url: str, token_uri: str, **settings: Any
) -> Org:
    org = await make_org(client, databases, None)
    response = await client.post(
        "/api/credentials",
        headers=org.headers,
        json={
            "name": f"{service} (OAuth)",
            "service": service,
            "api_key": REFRESH,
            "api_secret": CLIENT_SECRET,
            "api_url": url,
            "settings": {
                "oauth_client_id": CLIENT_ID,
                "oauth_token_uri": token_uri,
                **settings,
            },
        },
    )
    assert response.status_code == 201, response.text
    org.credential_id = response.json()["id"]
    return org


async def google_org(client, databases, url: str, token_uri: str, **settings: Any) -> Org:
    return await oauth_org(
        client,
        databases,
        "google_ads",
        url,
        token_uri,
        customer_id=CUSTOMER_ID,
        conversion_action_id=ACTION_ID,
        **settings,
    )


async def conversion(client, databases, org: Org, gclid: str) -> uuid.UUID:
    lead = await make_lead(
        databases,
        org,
        click_ids={"gclid": gclid},
        clicked_at=datetime.now(UTC) - timedelta(hours=7),
    )
    out = await create_conversion(client, org, lead)
    return uuid.UUID(out["conversion_id"])


async def state(databases, org: Org, conversion_id: uuid.UUID, platform: str) -> ConversionSync:
    (row,) = await rows(
        databases,
        org,
        ConversionSync,
        ConversionSync.conversion_id == conversion_id,
        ConversionSync.platform == platform,
    )
    return row


def assert_only_refresh_grants(endpoint: FakeTokenEndpoint) -> None:
    for request in endpoint.requests:
        assert request.method == "POST"
        assert request.path == "/token"
    for form in endpoint.forms:
        assert form == {
            "grant_type": "refresh_token",
            "refresh_token": REFRESH,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }


async def assert_no_secret_logged(databases, org: Org) -> None:
    entries = await rows(databases, org, PlatformSyncLog)
    assert entries
    for entry in entries:
        text = json.dumps(
            [entry.request_payload, entry.response_data, entry.error_message], default=str
        )
        for secret in SECRETS:
            assert secret not in text


async def test_the_sync_sends_a_refreshed_token_cached_across_syncs(
    client, databases, settings, token_endpoint, data_manager
):
    org = await google_org(client, databases, data_manager.url, token_endpoint.token_uri)
    first = await conversion(client, databases, org, "G-OAUTH-1")
    report = await sync(settings, databases, organization_id=org.id)
    assert report.sent == 1, report
    second = await conversion(client, databases, org, "G-OAUTH-2")
    report = await sync(settings, databases, organization_id=org.id)
    assert report.sent == 1, report
    # One refresh for both syncs: the access token is cached until shortly before expiry.
    assert token_endpoint.issued == [ACCESS]
    assert_only_refresh_grants(token_endpoint)
    requests = data_manager.ingest_requests
    assert len(requests) == 2
    assert {r.headers["authorization"] for r in requests} == {f"Bearer {ACCESS}"}
    assert sorted(data_manager.transaction_ids) == sorted([str(first), str(second)])
    for conversion_id in (first, second):
        row = await state(databases, org, conversion_id, "google")
        assert (row.status, row.attempts) == ("sent", 1)
    await assert_no_secret_logged(databases, org)


async def test_the_ads_api_takes_the_developer_token_from_the_setting(
    client, databases, settings, token_endpoint
):
    ads = FakeGoogleAds(
        ACCESS, CUSTOMER_ID, actions=(ACTION_ID,), developer_token=DEVELOPER_TOKEN
    ).start()
    try:
        org = await google_org(
            client,
            databases,
            ads.url,
            token_endpoint.token_uri,
            api="ads",
            developer_token=DEVELOPER_TOKEN,
        )
        conversion_id = await conversion(client, databases, org, "G-OAUTH-ADS")
        report = await sync(settings, databases, organization_id=org.id)
        assert report.sent == 1, report
        (request,) = ads.upload_requests
        assert request.headers["authorization"] == f"Bearer {ACCESS}"
        # The vault's secret is the OAuth client secret here: never sent to the Ads API.
        assert request.headers["developer-token"] == DEVELOPER_TOKEN
        assert ads.order_ids == [str(conversion_id)]
    finally:
        ads.stop()
    assert token_endpoint.issued == [ACCESS]
    await assert_no_secret_logged(databases, org)


async def test_a_revoked_access_token_is_refreshed_once_and_the_batch_sent(
    client, databases, settings, token_endpoint, data_manager
):
    org = await google_org(client, databases, data_manager.url, token_endpoint.token_uri)
    await conversion(client, databases, org, "G-OAUTH-3")
    assert (await sync(settings, databases, organization_id=org.id)).sent == 1
    # Google now refuses the cached token (revoked, or expired early): 401 once.
    data_manager.token = ACCESS_2
    conversion_id = await conversion(client, databases, org, "G-OAUTH-4")
    report = await sync(settings, databases, organization_id=org.id)
    assert report.sent == 1, report
    assert report.requests == 1  # the retry is part of the batch's one attempt
    assert token_endpoint.issued == [ACCESS, ACCESS_2]
    assert_only_refresh_grants(token_endpoint)
    assert [r.headers["authorization"] for r in data_manager.ingest_requests] == [
        f"Bearer {ACCESS}",
        f"Bearer {ACCESS}",
        f"Bearer {ACCESS_2}",
    ]
    row = await state(databases, org, conversion_id, "google")
    assert (row.status, row.attempts) == ("sent", 1)
    await assert_no_secret_logged(databases, org)


async def test_a_401_after_a_refresh_fails_without_looping(
    client, databases, settings, token_endpoint, data_manager
):
    data_manager.token = "ya29.some-other-token"
    org = await google_org(client, databases, data_manager.url, token_endpoint.token_uri)
    conversion_id = await conversion(client, databases, org, "G-OAUTH-5")
    report = await sync(settings, databases, organization_id=org.id)
    assert report.failed == 1, report
    assert len(data_manager.ingest_requests) == 2
    assert token_endpoint.issued == [ACCESS, ACCESS_2]
    row = await state(databases, org, conversion_id, "google")
    assert row.status == "failed"
    assert "401 UNAUTHENTICATED" in row.reason


async def test_invalid_grant_fails_the_batch_with_a_clear_reason(
    client, databases, settings, token_endpoint, data_manager
):
    token_endpoint.revoked = True
    org = await google_org(client, databases, data_manager.url, token_endpoint.token_uri)
    conversion_id = await conversion(client, databases, org, "G-OAUTH-6")
    report = await sync(settings, databases, organization_id=org.id)
    assert (report.failed, report.retrying, report.sent) == (1, 0, 0), report
    row = await state(databases, org, conversion_id, "google")
    assert row.status == "failed"
    assert row.next_attempt_at is None
    assert row.reason == "OAuth refresh failed: invalid_grant — reconnect the account"
    assert len(token_endpoint.requests) == 1  # no retry
    assert_only_refresh_grants(token_endpoint)
    assert data_manager.ingest_requests == []
    later = await sync(settings, databases, now=datetime.now(UTC) + timedelta(days=1))
    assert later.requests == 0
    assert len(token_endpoint.requests) == 1
    await assert_no_secret_logged(databases, org)


async def test_a_failing_token_endpoint_is_transient(
    client, databases, settings, token_endpoint, data_manager
):
    token_endpoint.fail(1, 503)
    org = await google_org(client, databases, data_manager.url, token_endpoint.token_uri)
    conversion_id = await conversion(client, databases, org, "G-OAUTH-7")
    report = await sync(settings, databases, organization_id=org.id)
    assert report.retrying == 1, report
    row = await state(databases, org, conversion_id, "google")
    assert row.status == "pending"
    assert "OAuth refresh failed" in row.reason
    assert data_manager.ingest_requests == []
    # A hang past the client's timeout is transient too.
    token_endpoint.hang(3.0)
    report = await sync(settings, databases, now=datetime.now(UTC) + timedelta(hours=1))
    assert report.retrying == 1, report
    report = await sync(settings, databases, now=datetime.now(UTC) + timedelta(hours=2))
    assert report.sent == 1, report
    assert token_endpoint.issued == [ACCESS]
    row = await state(databases, org, conversion_id, "google")
    assert (row.status, row.attempts) == ("sent", 3)
    await assert_no_secret_logged(databases, org)


async def test_linkedin_sends_a_refreshed_token(client, databases, settings, token_endpoint):
    linkedin = FakeLinkedIn(ACCESS, {RULE_ID}).start()
    try:
        org = await oauth_org(
            client,
            databases,
            "linkedin",
            linkedin.url,
            token_endpoint.token_uri,
            conversion_rule_id=RULE_ID,
        )
        lead = await make_lead(databases, org, email="jane@example.com")
        conversion_id = uuid.UUID((await create_conversion(client, org, lead))["conversion_id"])
        report = await sync(settings, databases, organization_id=org.id)
        assert report.sent == 1, report
        assert {r.headers.get("authorization") for r in linkedin.requests} == {f"Bearer {ACCESS}"}
    finally:
        linkedin.stop()
    row = await state(databases, org, conversion_id, "linkedin")
    assert row.status == "sent"
    assert token_endpoint.issued == [ACCESS]
    assert_only_refresh_grants(token_endpoint)
    await assert_no_secret_logged(databases, org)


async def test_the_cache_refreshes_shortly_before_expiry(token_endpoint):
    now = [1000.0]
    cache = TokenCache(clock=lambda: now[0])
    grant = RefreshGrant(token_endpoint.token_uri, CLIENT_ID, CLIENT_SECRET, REFRESH)
    async with HttpClient(token_endpoint.url) as http:
        assert await cache.access_token("c1", grant, http) == ACCESS
        now[0] += 3599 - 61
        assert await cache.access_token("c1", grant, http) == ACCESS
        now[0] += 2
        assert await cache.access_token("c1", grant, http) == ACCESS_2
    assert token_endpoint.issued == [ACCESS, ACCESS_2]
    assert CLIENT_SECRET not in repr(grant)
    assert REFRESH not in repr(grant)
