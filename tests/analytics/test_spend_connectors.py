"""Each spend connector against its fake: paging (partial pages included), the figures
and names stored, a restated re-import leaving one row per key, 429s and rate-limit codes
retried with backoff, expired tokens refreshed (OAuth) or logged as an auth error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from rastro.analytics.ad_models import Ad, AdCampaign, AdSet
from rastro.analytics.spend import CONNECTORS
from rastro.core.db import Scope
from tests.analytics.spend_helpers import (
    ACCESS,
    ACCESS_2,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH,
    add_account,
    add_credential,
    import_range,
    spend_org,
    stored,
)
from tests.fakes.ad_reporting import AdCatalog
from tests.fakes.google_ads_reporting import FakeGoogleAdsReporting
from tests.fakes.linkedin_analytics import FakeLinkedInAnalytics
from tests.fakes.meta_insights import FakeMetaInsights
from tests.fakes.tiktok_reporting import FakeTikTokReporting

META_TOKEN = "EAAB-fake-ads-read-token-0001"
META_ACCOUNT = "1234567890"
TIKTOK_TOKEN = "tiktok-fake-advertiser-token-01"
ADVERTISER = "7012345678901234567"
CUSTOMER = "1234567890"
LINKEDIN_ACCOUNT = "508123456"
END = date.today() - timedelta(days=2)


@pytest.fixture
def meta() -> Iterator[FakeMetaInsights]:
    server = FakeMetaInsights(META_TOKEN, META_ACCOUNT, AdCatalog(ads=120)).start()
    yield server
    server.stop()


async def meta_account(client, databases, meta: FakeMetaInsights, **extra):
    org = await spend_org(client, databases)
    credential = await add_credential(client, org, "meta_ads", meta.url, META_TOKEN)
    account = await add_account(client, org, "meta", META_ACCOUNT, credential, **extra)
    return org, account["id"]


async def test_meta_async_report_pages_through_partial_pages(client, databases, settings, meta):
    org, account = await meta_account(client, databases, meta)
    meta.short_pages(every=2)
    run = await import_range(databases, settings, org, account, END - timedelta(days=9), END)
    assert run.status == "succeeded", run.errors
    assert (run.rows, run.days_total, run.days_done) == (1200, 10, 10)
    rows = await stored(databases, org)
    assert len(rows) == 1200
    assert len({(r.ad_id, r.day) for r in rows}) == 1200
    # an async job: POST, polls, then its own insights pages (some partial, `next` followed)
    assert [r.method for r in meta.requests][:1] == ["POST"]
    job_pages = [r for r in meta.requests if r.path.endswith("/insights") and r.method == "GET"]
    assert len(job_pages) > 3
    one = next(r for r in rows if r.ad_id == meta.catalog.ad_id(5) and r.day == END)
    f = meta.catalog.figures(5, END)
    assert one.spend == Decimal(f["cents"]) / 100
    assert (one.currency, one.timezone) == ("BRL", "America/Sao_Paulo")
    assert (one.impressions, one.reach, one.link_clicks) == (
        f["impressions"],
        f["reach"],
        f["link_clicks"],
    )
    assert (one.video_plays, one.video_3s_views, one.thruplays) == (
        f["plays"],
        f["views_3s"],
        f["completed"],
    )
    # only the chosen conversion type (purchase), not `lead` nor `link_click`
    assert one.conversions == f["conversions"]
    assert one.conversion_value == Decimal(f["value_cents"]) / 100
    assert one.attribution_setting == "meta:7d_click_1d_view"
    assert one.campaign_id == meta.catalog.campaign_id(5)


async def test_meta_short_range_reads_synchronously_with_chosen_conversion_types(
    client, databases, settings, meta
):
    org, account = await meta_account(
        client, databases, meta, conversion_types=["purchase", "lead"]
    )
    run = await import_range(databases, settings, org, account, END - timedelta(days=2), END)
    assert run.status == "succeeded"
    assert run.rows == 360
    assert all(r.method == "GET" for r in meta.requests)
    rows = await stored(databases, org)
    f = meta.catalog.figures(0, END)
    row = next(r for r in rows if r.ad_id == meta.catalog.ad_id(0) and r.day == END)
    assert row.conversions == f["conversions"] + 1  # purchase + lead


async def test_meta_restated_reimport_keeps_one_row_per_key_and_current_names(
    client, databases, settings, meta
):
    org, account = await meta_account(client, databases, meta)
    first = END - timedelta(days=4)
    await import_range(databases, settings, org, account, first, END)
    before = {(r.ad_id, r.day): r.spend for r in await stored(databases, org)}
    meta.catalog.version = 2
    campaign = meta.catalog.campaign_id(0)
    meta.catalog.renamed[campaign] = "Black Friday (renamed)"
    run = await import_range(databases, settings, org, account, first, END)
    assert run.status == "succeeded"
    after = {(r.ad_id, r.day): r.spend for r in await stored(databases, org)}
    assert after.keys() == before.keys()
    assert len(after) == 600
    assert all(after[key] == before[key] * 2 for key in after)
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        name = await bi.scalar(select(AdCampaign.name).where(AdCampaign.campaign_id == campaign))
        assert name == "Black Friday (renamed)"
        assert (
            await bi.scalar(
                select(AdSet.campaign_id).where(AdSet.ad_set_id == meta.catalog.ad_set_id(0))
            )
            == campaign
        )
        assert len(list(await bi.scalars(select(Ad.ad_id)))) == 120


async def test_meta_rate_limits_and_a_failed_job_are_retried(client, databases, settings, meta):
    org, account = await meta_account(client, databases, meta)
    meta.rate_limit(times=2)
    meta.fail_job()
    run = await import_range(databases, settings, org, account, END - timedelta(days=9), END)
    assert run.status == "succeeded"
    assert run.rows == 1200
    messages = [e["message"] for e in run.errors]
    assert any("80000" in m for m in messages)
    assert any("Job Failed" in m for m in messages)


async def test_meta_expired_token_is_a_logged_auth_error(client, databases, settings, meta):
    org, account = await meta_account(client, databases, meta)
    meta.expire()
    run = await import_range(databases, settings, org, account, END - timedelta(days=2), END)
    assert run.status == "failed"
    assert run.errors[-1]["error"] == "auth"
    assert "190" in (run.error or "")
    assert META_TOKEN not in str(run.errors)
    assert await stored(databases, org) == []


# --- Google Ads ------------------------------------------------------------------------------


@pytest.fixture
def google() -> Iterator[FakeGoogleAdsReporting]:
    server = FakeGoogleAdsReporting(ACCESS, CUSTOMER, AdCatalog(ads=40)).start()
    yield server
    server.stop()


async def google_account(client, databases, google, token_endpoint):
    org = await spend_org(client, databases)
    credential = await add_credential(
        client,
        org,
        "google_ads",
        google.url,
        REFRESH,
        api_secret=CLIENT_SECRET,
        customer_id=CUSTOMER,
        login_customer_id="987-654-3210",
        oauth_client_id=CLIENT_ID,
        oauth_token_uri=token_endpoint.token_uri,
    )
    account = await add_account(
        client, org, "google", f"{CUSTOMER[:3]}-{CUSTOMER[3:6]}-{CUSTOMER[6:]}", credential
    )
    return org, account["id"]


async def test_google_search_stream_rows_refresh_and_broken_stream(
    client, databases, settings, google, token_endpoint
):
    org, account = await google_account(client, databases, google, token_endpoint)
    google.rate_limit()
    google.break_stream()
    run = await import_range(databases, settings, org, account, END - timedelta(days=29), END)
    assert run.status == "succeeded", run.errors
    assert run.rows == 1200
    assert "FROM ad_group_ad WHERE segments.date BETWEEN" in google.queries[0]
    assert [r.headers.get("login-customer-id") for r in google.requests][-1] == "9876543210"
    rows = await stored(databases, org)
    assert len(rows) == 1200
    f = google.catalog.figures(3, END)
    row = next(r for r in rows if r.ad_id == google.catalog.ad_id(3) and r.day == END)
    assert row.spend == Decimal(f["cents"]) / 100  # cost_micros / 1e6
    assert (row.thruplays, row.reach, row.video_3s_views) == (f["completed"], None, None)
    assert row.conversions == f["conversions"]
    assert any("stream broke" in e["message"] for e in run.errors)
    # the access token expires: refreshed once at the token endpoint, then accepted
    google.expire(ACCESS)
    google.accept(ACCESS_2)
    google.catalog.version = 3
    again = await import_range(databases, settings, org, account, END - timedelta(days=29), END)
    assert again.status == "succeeded", again.errors
    assert token_endpoint.issued == [ACCESS, ACCESS_2]
    rows = await stored(databases, org)
    assert len(rows) == 1200
    assert (
        next(r for r in rows if r.ad_id == google.catalog.ad_id(3) and r.day == END).spend
        == Decimal(f["cents"] * 3) / 100
    )


async def test_google_revoked_refresh_token_is_a_logged_auth_error(
    client, databases, settings, google, token_endpoint
):
    org, account = await google_account(client, databases, google, token_endpoint)
    token_endpoint.revoked = True
    run = await import_range(databases, settings, org, account, END, END)
    assert run.status == "failed"
    assert run.errors[-1]["error"] == "auth"
    assert "invalid_grant" in (run.error or "")
    assert REFRESH not in str(run.errors)
    assert CLIENT_SECRET not in str(run.errors)


# --- TikTok ------------------------------------------------------------------------------------


@pytest.fixture
def tiktok() -> Iterator[FakeTikTokReporting]:
    server = FakeTikTokReporting(TIKTOK_TOKEN, ADVERTISER, AdCatalog(ads=50)).start()
    yield server
    server.stop()


async def test_tiktok_windows_pages_and_rate_limit_codes(client, databases, settings, tiktok):
    org = await spend_org(client, databases)
    credential = await add_credential(client, org, "tiktok_ads", tiktok.url, TIKTOK_TOKEN)
    account = (await add_account(client, org, "tiktok", ADVERTISER, credential))["id"]
    tiktok.short_pages(every=2)
    tiktok.rate_limit(times=2)
    run = await import_range(databases, settings, org, account, END - timedelta(days=39), END)
    assert run.status == "succeeded", run.errors
    assert run.rows == 2000
    assert run.days_done == 40
    assert sum("40100" in e["message"] for e in run.errors) == 2
    rows = await stored(databases, org)
    assert len({(r.ad_id, r.day) for r in rows}) == len(rows) == 2000
    f = tiktok.catalog.figures(7, END)
    row = next(r for r in rows if r.ad_id == tiktok.catalog.ad_id(7) and r.day == END)
    assert (row.spend, row.conversions) == (Decimal(f["cents"]) / 100, f["conversions"])
    assert row.conversion_value == Decimal(f["value_cents"]) / 100
    assert row.video_3s_views is None
    assert row.thruplays == f["completed"]
    # restated: the same keys, new figures
    tiktok.catalog.version = 2
    await import_range(databases, settings, org, account, END - timedelta(days=39), END)
    again = await stored(databases, org)
    assert len(again) == 2000
    tiktok.expire()
    failed = await import_range(databases, settings, org, account, END, END)
    assert failed.status == "failed"
    assert failed.errors[-1]["error"] == "auth"
    assert "40105" in (failed.error or "")


# --- LinkedIn ----------------------------------------------------------------------------------


@pytest.fixture
def linkedin() -> Iterator[FakeLinkedInAnalytics]:
    server = FakeLinkedInAnalytics(ACCESS, LINKEDIN_ACCOUNT, AdCatalog(ads=12)).start()
    yield server
    server.stop()


async def test_linkedin_analytics_split_when_truncated_refresh_and_429(
    client, databases, settings, linkedin, token_endpoint, monkeypatch
):
    monkeypatch.setattr(CONNECTORS["linkedin"], "max_elements", 60)
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
    account = (
        await add_account(client, org, "linkedin", LINKEDIN_ACCOUNT, credential, currency="USD")
    )["id"]
    linkedin.max_elements = 60  # 12 creatives x 14 days = 168: the window is split
    linkedin.page_size_cap = 5  # the creatives lookup pages
    linkedin.rate_limit()
    run = await import_range(databases, settings, org, account, END - timedelta(days=13), END)
    assert run.status == "succeeded", run.errors
    assert run.rows == 168
    rows = await stored(databases, org)
    assert len({(r.ad_id, r.day) for r in rows}) == 168
    c = linkedin.catalog
    row = next(r for r in rows if r.ad_id == c.ad_id(4) and r.day == END)
    assert (row.campaign_id, row.ad_set_id, row.currency) == (
        c.campaign_id(4),
        c.ad_set_id(4),
        "USD",
    )
    assert row.spend == Decimal(c.figures(4, END)["cents"]) / 100
    analytics = [r for r in linkedin.requests if r.path == "/rest/adAnalytics"]
    assert all(r.headers["x-restli-protocol-version"] == "2.0.0" for r in analytics)
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        assert (
            await bi.scalar(select(Ad.name).where(Ad.ad_id == c.ad_id(4)))
            == f"Creative {c.ad_id(4)[-3:]}"
        )
    linkedin.expire(ACCESS)
    linkedin.accept(ACCESS_2)
    again = await import_range(databases, settings, org, account, END, END)
    assert again.status == "succeeded", again.errors
    assert token_endpoint.issued == [ACCESS, ACCESS_2]
