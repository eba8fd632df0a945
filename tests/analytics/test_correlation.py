"""The ads correlation report against a hand computation on a small dataset, a multi-touch
model, spend in USD for an organization in BRL, a campaign renamed mid-range, the Overview's
and the campaign and channel reports' cost, organization scoping and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from rastro.core.db import Scope
from rastro.tracking.models import LeadAttribution
from tests.analytics.factories import Visit, refresh, refresh_organization
from tests.analytics.health_data import earlier_today, local_today
from tests.analytics.join_data import ad_row, lead_on, store_spend, touch
from tests.tracking.factories import make_site

BF = ("111", "Black Friday")
BRAND = ("222", "Search Brand")


async def _dataset(client, databases):
    """Meta campaign 111 (ads a1, a2; a1 reports 3-second views), Google campaign 222;
    two leads on a1 (one won, R$ 300), one won lead on 222 (R$ 500) through utm_id, one
    won lead (R$ 100) whose touch reaches nothing."""
    site = await make_site(client, databases)
    org = site.account.organization_id
    today = local_today()
    await store_spend(
        databases,
        org,
        "meta",
        "act_1",
        [
            ad_row(
                today,
                BF,
                ("a1", "Video A"),
                "100",
                ad_set=("s1", "LAL"),
                impressions=1000,
                clicks=50,
                video_3s_views=300,
                conversions=Decimal(4),
                conversion_value=Decimal(400),
            ),
            ad_row(
                today,
                BF,
                ("a2", "Carousel"),
                "50",
                ad_set=("s1", "LAL"),
                impressions=500,
                clicks=10,
                conversions=Decimal(1),
                conversion_value=Decimal(100),
            ),
        ],
    )
    await store_spend(
        databases,
        org,
        "google",
        "g_1",
        [
            ad_row(
                today,
                BRAND,
                ("ga1", "Text"),
                "200",
                ad_set=("gs1", "Brand"),
                impressions=2000,
                clicks=100,
                conversions=Decimal(2),
                conversion_value=Decimal(1000),
            )
        ],
    )
    domain = site.domain["domain_id"]
    at = earlier_today(3)
    on_a1 = Visit(
        at,
        "v1",
        channel="Paid Social",
        source="facebook",
        medium="paid_social",
        campaign="Black Friday",
        content="a1",
    )
    t1 = await touch(databases, org, domain, on_a1)
    t2 = await touch(
        databases,
        org,
        domain,
        Visit(
            at,
            "v2",
            channel="Paid Social",
            source="facebook",
            medium="paid_social",
            campaign="Black Friday",
            content="a1",
        ),
    )
    t3 = await touch(databases, org, domain, Visit(at, "v3", campaign="brand", utm_id="222"))
    t4 = await touch(databases, org, domain, Visit(at, "v4", campaign="mystery"))
    created = earlier_today(2)
    site.leads = [  # type: ignore[attr-defined]
        await lead_on(databases, org, t1, "v1", created, stage="won", value="300"),
        await lead_on(databases, org, t2, "v2", created, stage="qualified"),
        await lead_on(databases, org, t3, "v3", created, stage="won", value="500"),
        await lead_on(databases, org, t4, "v4", created, stage="won", value="100"),
    ]
    await refresh(databases, org)
    return site


async def test_campaign_figures_equal_a_hand_computation(client, databases):
    site = await _dataset(client, databases)
    response = await client.get("/api/analytics/ads?preset=today", headers=site.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["level"] == "campaign"
    assert body["model"] == "last_touch"
    rows = {r["campaign_id"]: r for r in body["rows"]}
    assert [r["campaign_id"] for r in body["rows"]] == ["222", "111"]  # most spend first
    meta = rows["111"]["figures"]
    assert rows["111"]["campaign_name"] == "Black Friday"
    assert Decimal(meta["spend"]) == Decimal("150.00")
    assert meta["impressions"] == 1500
    assert meta["clicks"] == 60
    assert meta["ctr"] == pytest.approx(60 / 1500)
    assert Decimal(meta["cpc"]) == Decimal("2.50")
    assert meta["hook_rate"] == pytest.approx(300 / 1000)  # only a1 reports 3-second views
    assert meta["leads"] == 2
    assert meta["qualified"] == 2
    assert meta["won"] == 1
    assert Decimal(meta["cpl"]) == Decimal("75.00")
    assert meta["qualified_rate"] == 1.0
    assert meta["lead_to_customer_rate"] == 0.5
    assert Decimal(meta["real_revenue"]) == Decimal("300.00")
    assert Decimal(meta["average_deal_value"]) == Decimal("300.00")
    assert meta["real_roas"] == pytest.approx(300 / 150)
    assert Decimal(meta["platform_value"]) == Decimal("500.00")
    assert meta["platform_roas"] == pytest.approx(500 / 150)
    assert meta["roas_gap"] == pytest.approx(300 / 150 - 500 / 150)
    assert meta["average_sales_cycle"] is not None
    google = rows["222"]["figures"]
    assert google["hook_rate"] is None  # Google reports no 3-second views here
    assert google["real_roas"] == pytest.approx(500 / 200)
    assert google["platform_roas"] == pytest.approx(1000 / 200)
    assert Decimal(body["totals"]["spend"]) == Decimal("350.00")
    assert Decimal(body["totals"]["real_revenue"]) == Decimal("800.00")
    assert body["totals"]["real_roas"] == pytest.approx(800 / 350)
    assert body["unattributed"]["won"] == 1
    assert Decimal(body["unattributed"]["real_revenue"]) == Decimal("100.00")

    ads = (
        await client.get("/api/analytics/ads?preset=today&level=ad", headers=site.headers)
    ).json()
    by_ad = {r["ad_id"]: r for r in ads["rows"]}
    assert by_ad["a1"]["figures"]["leads"] == 2
    assert by_ad["a1"]["ad_name"] == "Video A"
    assert by_ad["a2"]["figures"]["leads"] == 0
    assert by_ad["a2"]["figures"]["cpl"] is None
    # The utm_id touch reached the campaign, not an ad: its own row without spend.
    assert by_ad[None]["campaign_id"] == "222"
    assert by_ad[None]["figures"]["won"] == 1
    assert Decimal(by_ad["ga1"]["figures"]["spend"]) == Decimal("200.00")
    platforms = (
        await client.get("/api/analytics/ads?preset=today&level=platform", headers=site.headers)
    ).json()
    assert {r["platform"]: Decimal(r["figures"]["spend"]) for r in platforms["rows"]} == {
        "meta": Decimal("150.00"),
        "google": Decimal("200.00"),
    }


async def test_a_multi_touch_model_splits_the_credit(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    await store_spend(
        databases, org, "meta", "act_1", [ad_row(local_today(), BF, ("a1", None), "100")]
    )
    await store_spend(
        databases, org, "google", "g_1", [ad_row(local_today(), BRAND, ("ga1", None), "100")]
    )
    domain = site.domain["domain_id"]
    await touch(databases, org, domain, Visit(earlier_today(4), "v1", campaign="Black Friday"))
    last = await touch(databases, org, domain, Visit(earlier_today(3), "v1", utm_id="222"))
    await lead_on(databases, org, last, "v1", earlier_today(2), stage="won", value="200")
    await refresh(databases, org)
    last_touch = (
        await client.get("/api/analytics/ads?preset=today&model=last_touch", headers=site.headers)
    ).json()
    assert {r["campaign_id"]: r["figures"]["won"] for r in last_touch["rows"]} == {
        "111": 0,
        "222": 1,
    }
    linear = (
        await client.get("/api/analytics/ads?preset=today&model=linear", headers=site.headers)
    ).json()
    assert linear["model"] == "linear"
    rows = {r["campaign_id"]: r["figures"] for r in linear["rows"]}
    assert rows["111"]["leads"] == pytest.approx(0.5)
    assert rows["222"]["won"] == pytest.approx(0.5)
    assert Decimal(rows["111"]["real_revenue"]) == Decimal("100.00")
    assert rows["111"]["real_roas"] == pytest.approx(1.0)
    # Qualified leads and the sales cycle follow the model too: half the qualified lead
    # each, and each half-deal keeps the deal's own cycle.
    whole = next(r for r in last_touch["rows"] if r["campaign_id"] == "222")["figures"]
    assert whole["qualified"] == 1
    assert rows["111"]["qualified"] == pytest.approx(0.5)
    assert rows["222"]["qualified"] == pytest.approx(0.5)
    assert whole["average_sales_cycle"] is not None
    assert rows["111"]["average_sales_cycle"] == pytest.approx(whole["average_sales_cycle"])
    assert rows["222"]["average_sales_cycle"] == pytest.approx(whole["average_sales_cycle"])


async def test_usd_spend_of_a_brl_organization_is_never_summed(client, databases):
    site = await _dataset(client, databases)
    org = site.account.organization_id
    today = local_today()
    await store_spend(
        databases,
        org,
        "tiktok",
        "tt_1",
        [ad_row(today, ("333", "Dance"), ("t1", None), "70", currency="USD")],
    )
    body = (await client.get("/api/analytics/ads?preset=today", headers=site.headers)).json()
    assert "other_currency_spend" in body["notes"]
    dance = next(r for r in body["rows"] if r["campaign_id"] == "333")["figures"]
    assert Decimal(dance["spend"]) == 0
    assert dance["real_roas"] is None
    assert dance["other_spend"] == [{"currency": "USD", "amount": "70.00"}]
    assert Decimal(body["totals"]["spend"]) == Decimal("350.00")
    overview = (
        await client.get("/api/analytics/overview?preset=today", headers=site.headers)
    ).json()
    assert Decimal(overview["totals"]["cost"]) == Decimal("350.00")
    assert overview["cost_note"] == "other_currency_spend"


async def test_a_campaign_renamed_mid_range_is_one_row_with_its_current_name(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    today = local_today()
    await store_spend(
        databases,
        org,
        "meta",
        "act_1",
        [ad_row(today - timedelta(days=2), ("9", "Old"), ("x", None), "10")],
    )
    await store_spend(
        databases,
        org,
        "meta",
        "act_1",
        [ad_row(today - timedelta(days=1), ("9", "New"), ("x", None), "20")],
    )
    body = (await client.get("/api/analytics/ads?preset=last_7_days", headers=site.headers)).json()
    assert [
        (r["campaign_id"], r["campaign_name"], r["figures"]["spend"]) for r in body["rows"]
    ] == [("9", "New", "30.00")]


async def test_overview_and_reports_get_cost_where_spend_joins(client, databases):
    site = await _dataset(client, databases)
    overview = (
        await client.get("/api/analytics/overview?preset=today", headers=site.headers)
    ).json()
    totals = overview["totals"]
    assert Decimal(totals["cost"]) == Decimal("350.00")
    # Won revenue 300 + 500 + 100 (BRL) over all the period's spend.
    assert totals["roas"] == pytest.approx(900 / 350)
    assert overview["cost_note"] is None
    filtered = (
        await client.get(
            "/api/analytics/overview?preset=today&channel=Paid Social", headers=site.headers
        )
    ).json()
    assert Decimal(filtered["totals"]["cost"]) == Decimal("100.00")  # the touches reach ad a1
    blind = (
        await client.get("/api/analytics/overview?preset=today&device=mobile", headers=site.headers)
    ).json()
    assert blind["totals"]["cost"] is None
    assert blind["cost_note"] == "spend_not_filterable"

    report = (
        await client.get("/api/analytics/campaigns?preset=today", headers=site.headers)
    ).json()
    rows = {r["campaign"]: r["current"] for r in report["rows"]}
    bf = rows["Black Friday"]
    assert Decimal(bf["cost"]) == Decimal("100.00")
    assert bf["cost_note"] is None
    assert Decimal(bf["cpl"]) == Decimal("50.00")
    assert Decimal(bf["cpa"]) == Decimal("100.00")
    assert bf["roas"] == pytest.approx(3.0)
    assert bf["roi"] == pytest.approx(2.0)
    assert Decimal(rows["brand"]["cost"]) == Decimal("200.00")
    assert rows["mystery"]["cost"] is None
    assert rows["mystery"]["cost_note"] == "unmapped"
    assert Decimal(report["totals"]["cost"]) == Decimal("350.00")
    assert report["cost_note"] is None
    channels = (
        await client.get("/api/analytics/channels?preset=today", headers=site.headers)
    ).json()
    by_channel = {r["channel"]: r["current"] for r in channels["rows"]}
    assert Decimal(by_channel["Paid Social"]["cost"]) == Decimal("100.00")
    # Paid Search touches reach campaign 222 (utm_id) and nothing else.
    assert Decimal(by_channel["Paid Search"]["cost"]) == Decimal("200.00")
    # A period without spend keeps the note.
    empty = (
        await client.get(
            "/api/analytics/campaigns?date_from=2020-01-01&date_to=2020-01-31", headers=site.headers
        )
    ).json()
    assert empty["cost_note"] == "no_spend_data"


async def test_scoped_to_the_organization_and_bad_input_is_422(client, databases):
    site = await _dataset(client, databases)
    other = await make_site(client, databases)
    body = (await client.get("/api/analytics/ads?preset=today", headers=other.headers)).json()
    assert body["rows"] == []
    assert body["totals"]["spend"] == "0.00"
    assert body["unattributed"]["leads"] == 0
    for query in (
        "level=creative",
        "model=magic",
        "date_from=2026-02-10&date_to=2026-02-01",
        "channel=Nope",
        "domain_id=not-a-uuid",
    ):
        response = await client.get(f"/api/analytics/ads?{query}", headers=site.headers)
        assert response.status_code == 422, (query, response.text)
        assert "error" in response.json()
    assert (await client.get("/api/analytics/ads")).status_code == 401


async def test_lead_attribution_gets_the_campaign_ad_cpa_and_roas(client, databases):
    site = await _dataset(client, databases)
    org = site.account.organization_id
    scope = Scope.organization(org)
    now = datetime.now(UTC)
    async with databases.bi.transaction(scope) as bi:
        for lead_id in site.leads:
            bi.add(
                LeadAttribution(
                    organization_id=org,
                    lead_id=lead_id,
                    campaign_id="(utm)",
                    conversion_date=now,
                )
            )
    await refresh_organization(databases, org)
    async with databases.bi.transaction(scope) as bi:
        rows = {r.lead_id: r for r in await bi.scalars(select(LeadAttribution))}
    on_a1, qualified, on_brand, lost = (rows[i] for i in site.leads)
    # Campaign 111 in the window: R$ 150 spend, 2 leads, R$ 300 won.
    assert (on_a1.campaign_id, on_a1.ad_set_id, on_a1.ad_id) == ("111", "s1", "a1")
    assert on_a1.cpa_at_conversion == Decimal("75.00")
    assert on_a1.roas == Decimal("2.00")
    assert qualified.cpa_at_conversion == Decimal("75.00")
    assert (on_brand.campaign_id, on_brand.ad_id) == ("222", None)
    assert on_brand.cpa_at_conversion == Decimal("200.00")
    assert on_brand.roas == Decimal("2.50")
    # A lead whose touch reaches no campaign keeps its row as it was.
    assert (lost.campaign_id, lost.cpa_at_conversion, lost.roas) == ("(utm)", None, None)
