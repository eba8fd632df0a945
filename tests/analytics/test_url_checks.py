"""Each ad's URL check per platform against the fakes (which serve the ads' destinations
the way the platforms' APIs do): missing UTMs flagged, Google auto-tagging off flagged, the
lowest Google level that sets a suffix winning, ads with no landing page, the endpoints
(a job per account), organization scoping, and the breakdown's fix following the check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.analytics.spend_helpers import add_account, add_credential, spend_org
from tests.fakes.ad_reporting import AdCatalog
from tests.fakes.google_ads_reporting import FakeGoogleAdsReporting
from tests.fakes.linkedin_analytics import FakeLinkedInAnalytics
from tests.fakes.meta_insights import FakeMetaInsights
from tests.fakes.oauth import FakeTokenEndpoint
from tests.fakes.tiktok_reporting import FakeTikTokReporting
from tests.helpers import drain_jobs

META_TOKEN = "EAAB-fake-ads-read-token-0001"
META_ACCOUNT = "1234567890"
TIKTOK_TOKEN = "tiktok-fake-advertiser-token-01"
ADVERTISER = "7012345678901234567"
CLIENT_ID = "1234-fake.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-client-secret-0001"
REFRESH = "1//0fake-refresh-token-abcdef"
ACCESS, ACCESS_2 = "ya29.fake-access-0001", "ya29.fake-access-0002"
CUSTOMER = "1234567890"
LINKEDIN_ACCOUNT = "508123456"


def _serve(fake):  # type: ignore[no-untyped-def]
    server = fake.start()
    yield server
    server.stop()


@pytest.fixture
def token_endpoint() -> Iterator[FakeTokenEndpoint]:
    yield from _serve(FakeTokenEndpoint(CLIENT_ID, CLIENT_SECRET, REFRESH, (ACCESS, ACCESS_2)))


async def _checks(client, org) -> dict[str, dict]:  # type: ignore[type-arg]
    response = await client.get("/api/analytics/health/urls", headers=org.headers)
    assert response.status_code == 200, response.text
    return {c["ad_id"]: c for c in response.json()["checks"]}


async def _run(client, databases, settings, org) -> list[str]:  # type: ignore[no-untyped-def]
    response = await client.post("/api/analytics/health/urls/check", headers=org.headers)
    assert response.status_code == 202, response.text
    await drain_jobs(settings, databases, queues=["spend"])
    return response.json()["queued"]


async def test_meta_url_tags_and_links(client, databases, settings):
    catalog = AdCatalog(ads=4)
    catalog.url_params[catalog.ad_id(1)] = "utm_medium=paid_social&utm_campaign={{campaign.id}}"
    catalog.url_params[catalog.ad_id(2)] = None  # no URL tags at all
    catalog.landing[catalog.ad_id(3)] = None  # e.g. a lead form ad
    for meta in _serve(FakeMetaInsights(META_TOKEN, META_ACCOUNT, catalog)):
        org = await spend_org(client, databases)
        credential = await add_credential(client, org, "meta_ads", meta.url, META_TOKEN)
        account = await add_account(client, org, "meta", META_ACCOUNT, credential)
        assert await _run(client, databases, settings, org) == [account["id"]]
        checks = await _checks(client, org)
        ok = checks[catalog.ad_id(0)]
        assert (ok["status"], ok["missing"]) == ("ok", [])
        assert ok["landing_url"] == "https://shop.example.com/oferta?ref=0"
        assert "utm_content" in ok["parameters"]
        assert "ref" in ok["parameters"]
        assert ok["campaign_id"] == catalog.campaign_id(0)
        assert (checks[catalog.ad_id(1)]["status"], checks[catalog.ad_id(1)]["missing"]) == (
            "error",
            ["utm_source", "utm_content"],
        )
        assert checks[catalog.ad_id(2)]["missing"] == [
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_content",
        ]
        assert checks[catalog.ad_id(3)]["status"] == "no_url"
        # the Graph request: the ads edge with the creative's fields expanded
        asked = [r for r in meta.requests if r.path.endswith("/ads")]
        assert len(asked) == 1
        # errors first
        statuses = [
            c["status"]
            for c in (await client.get("/api/analytics/health/urls", headers=org.headers)).json()[
                "checks"
            ]
        ]
        assert statuses == ["error", "error", "no_url", "ok"]


async def test_google_auto_tagging_off_and_the_lowest_level_wins(
    client, databases, settings, token_endpoint
):
    catalog = AdCatalog(ads=3)
    # ad 1 sets its own suffix, which replaces the account's (no utm_source there)
    catalog.url_params[catalog.ad_id(1)] = "utm_medium=cpc&utm_campaign={campaignid}"
    for google in _serve(FakeGoogleAdsReporting(ACCESS, CUSTOMER, catalog)):
        google.auto_tagging = False
        # ad 2's campaign redirects through a tracker: the template's parameters are its own
        google.campaign_templates[catalog.campaign_id(2)] = (
            "https://track.example.net/c?u={lpurl}&utm_source=x"
        )
        org = await spend_org(client, databases)
        credential = await add_credential(
            client,
            org,
            "google_ads",
            google.url,
            REFRESH,
            api_secret=CLIENT_SECRET,
            customer_id=CUSTOMER,
            oauth_client_id=CLIENT_ID,
            oauth_token_uri=token_endpoint.token_uri,
        )
        await add_account(client, org, "google", CUSTOMER, credential)
        await _run(client, databases, settings, org)
        checks = await _checks(client, org)
        first = checks[catalog.ad_id(0)]
        assert first["auto_tagging"] is False
        assert first["missing"] == ["gclid"]
        assert first["status"] == "error"
        assert first["url_suffix"].startswith("utm_source=google")
        assert checks[catalog.ad_id(1)]["missing"] == ["utm_source", "gclid", "utm_content"]
        third = checks[catalog.ad_id(2)]
        assert third["tracking_template"].startswith("https://track.example.net")
        assert "x" not in third["parameters"]
        assert third["missing"] == ["gclid"]
        query = google.queries[-1]
        assert "customer.auto_tagging_enabled" in query
        assert "segments.date" not in query

        google.auto_tagging = True
        await _run(client, databases, settings, org)
        checks = await _checks(client, org)
        assert checks[catalog.ad_id(0)]["status"] == "ok"
        assert checks[catalog.ad_id(0)]["auto_tagging"] is True


async def test_tiktok_utm_params(client, databases, settings):
    catalog = AdCatalog(ads=2)
    catalog.url_params[catalog.ad_id(1)] = "utm_source=tiktok&utm_id=__CAMPAIGN_ID__"
    for tiktok in _serve(FakeTikTokReporting(TIKTOK_TOKEN, ADVERTISER, catalog)):
        org = await spend_org(client, databases)
        credential = await add_credential(client, org, "tiktok_ads", tiktok.url, TIKTOK_TOKEN)
        await add_account(client, org, "tiktok", ADVERTISER, credential)
        await _run(client, databases, settings, org)
        checks = await _checks(client, org)
        assert checks[catalog.ad_id(0)]["status"] == "ok"
        assert "utm_campaign=__CAMPAIGN_ID__" in checks[catalog.ad_id(0)]["url_suffix"]
        # utm_id stands for utm_campaign; utm_medium and utm_content are missing
        assert checks[catalog.ad_id(1)]["missing"] == ["utm_medium", "utm_content"]


async def test_linkedin_text_ads_and_sponsored_posts(client, databases, settings, token_endpoint):
    catalog = AdCatalog(ads=4)
    catalog.url_params[catalog.ad_id(3)] = "utm_source=linkedin"
    for linkedin in _serve(FakeLinkedInAnalytics(ACCESS, LINKEDIN_ACCOUNT, catalog)):
        org = await spend_org(client, databases)
        credential = await add_credential(
            client,
            org,
            "linkedin",
            linkedin.url,
            REFRESH,
            api_secret=CLIENT_SECRET,
            oauth_client_id=CLIENT_ID,
            oauth_token_uri=token_endpoint.token_uri,
        )
        await add_account(client, org, "linkedin", LINKEDIN_ACCOUNT, credential, currency="USD")
        await _run(client, databases, settings, org)
        checks = await _checks(client, org)
        assert checks[catalog.ad_id(0)]["status"] == "ok"  # a text ad's landing page
        assert checks[catalog.ad_id(1)]["status"] == "ok"  # the sponsored post's article
        assert checks[catalog.ad_id(3)]["missing"] == ["utm_medium", "utm_campaign", "utm_content"]
        assert checks[catalog.ad_id(1)]["campaign_id"] == catalog.campaign_id(1)
        assert any(r.path.startswith("/rest/posts/") for r in linkedin.requests)


async def test_a_refused_token_keeps_the_old_checks_and_scoping(client, databases, settings):
    catalog = AdCatalog(ads=2)
    for meta in _serve(FakeMetaInsights(META_TOKEN, META_ACCOUNT, catalog)):
        org = await spend_org(client, databases)
        credential = await add_credential(client, org, "meta_ads", meta.url, META_TOKEN)
        await add_account(client, org, "meta", META_ACCOUNT, credential)
        await _run(client, databases, settings, org)
        assert len(await _checks(client, org)) == 2
        meta.expire()
        await _run(client, databases, settings, org)
        assert len(await _checks(client, org)) == 2
        other = await spend_org(client, databases)
        assert await _checks(client, other) == {}
        viewer = await client.post("/api/analytics/health/urls/check")
        assert viewer.status_code == 401
