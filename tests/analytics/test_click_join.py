"""Google click ids joined to spend (issue 18 part 3, rule 1): the import reads each day's
`click_view` (one query per day, never older than Google's 90 days), and a visit whose only
campaign parameter is a gclid reaches that click's campaign, ad group and ad — in the Ads
report under last touch and under a multi-touch model; an unknown gclid reaches nothing,
and a gclid beside UTMs leaves the UTMs to decide."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from rastro.analytics.ad_models import AdClick
from rastro.core.db import Scope
from tests.analytics.factories import Visit, refresh
from tests.analytics.health_data import local_today, noon
from tests.analytics.join_data import lead_on, touch
from tests.analytics.spend_helpers import (
    ACCESS,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH,
    add_account,
    add_credential,
    import_range,
    spend_org,
)
from tests.fakes.ad_reporting import AdCatalog
from tests.fakes.google_ads_reporting import FakeGoogleAdsReporting
from tests.tracking.factories import make_site

CUSTOMER = "1234567890"
CLICK_DAY = re.compile(r"FROM click_view WHERE segments\.date = '(\d{4}-\d{2}-\d{2})'$")


@pytest.fixture
def google() -> Iterator[FakeGoogleAdsReporting]:
    server = FakeGoogleAdsReporting(ACCESS, CUSTOMER, AdCatalog(ads=6)).start()
    yield server
    server.stop()


async def test_gclid_only_visits_reach_the_clicked_ad(
    client, databases, settings, google, token_endpoint
):
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
    account = (await add_account(client, org, "google", CUSTOMER, credential))["id"]
    day = local_today() - timedelta(days=1)
    catalog = google.catalog
    google.clicks = {
        day: [("gclid-A", 3), ("gclid-B", 5)],
        day - timedelta(days=2): [("gclid-C", 1)],
    }
    run = await import_range(
        databases, settings, org, account, day - timedelta(days=119), day, kind="backfill"
    )
    assert run.status == "succeeded", run.errors

    # One click_view query per day, none beyond Google's 90 days.
    asked = [date.fromisoformat(m[1]) for q in google.queries if (m := CLICK_DAY.search(q))]
    assert len(asked) == len(set(asked))
    assert min(asked) >= date.today() - timedelta(days=90)
    assert max(asked) == day
    assert 89 <= len(asked) <= 91
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        clicks = {c.click_id: c for c in await bi.scalars(select(AdClick))}
    assert set(clicks) == {"gclid-A", "gclid-B", "gclid-C"}
    a = clicks["gclid-A"]
    assert (a.platform, a.account_id, a.campaign_id, a.ad_set_id, a.ad_id, a.day) == (
        "google",
        CUSTOMER,
        catalog.campaign_id(3),
        catalog.ad_set_id(3),
        catalog.ad_id(3),
        day,
    )

    # Visits with auto-tagging only: one clicked gclid-A and bought, one an unknown gclid.
    site = await make_site(client, databases, org.account)
    domain = site.domain["domain_id"]
    gclid_only = {"channel": "Paid Search", "source": "google", "medium": "cpc", "campaign": None}
    sold = await touch(
        databases, org.id, domain, Visit(noon(day), "v1", gclid="gclid-A", **gclid_only)
    )
    await lead_on(databases, org.id, sold, "v1", noon(day), stage="won", value="300")
    lost = await touch(
        databases, org.id, domain, Visit(noon(day), "v2", gclid="gclid-zzz", **gclid_only)
    )
    await lead_on(databases, org.id, lost, "v2", noon(day), stage="won", value="70")
    # A gclid beside a utm_campaign: the UTM decides (here it names nothing).
    tagged = await touch(
        databases,
        org.id,
        domain,
        Visit(noon(day), "v3", gclid="gclid-B", **{**gclid_only, "campaign": "unknown"}),
    )
    await lead_on(databases, org.id, tagged, "v3", noon(day), stage="won", value="20")
    await refresh(databases, org.id)

    query = f"/api/analytics/ads?date_from={day}&date_to={day}&level=ad"
    report = (await client.get(query, headers=org.headers)).json()
    by_ad = {r["ad_id"]: r["figures"] for r in report["rows"]}
    assert by_ad[catalog.ad_id(3)]["won"] == 1
    assert Decimal(by_ad[catalog.ad_id(3)]["real_revenue"]) == Decimal("300.00")
    assert by_ad[catalog.ad_id(5)]["won"] == 0  # gclid-B came with a utm_campaign
    assert report["unattributed"]["won"] == 2
    assert Decimal(report["unattributed"]["real_revenue"]) == Decimal("90.00")

    linear = (await client.get(f"{query}&model=linear", headers=org.headers)).json()
    by_ad = {r["ad_id"]: r["figures"] for r in linear["rows"]}
    assert by_ad[catalog.ad_id(3)]["won"] == pytest.approx(1.0)
    assert Decimal(by_ad[catalog.ad_id(3)]["real_revenue"]) == Decimal("300.00")
