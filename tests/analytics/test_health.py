"""Tracking health: the unattributed breakdown against a hand computation on crafted data,
the visit filters, organization scoping and bad input."""

from __future__ import annotations

from datetime import timedelta

from rastro.analytics.service import url_checks
from rastro.analytics.spend.base import AdUrl
from rastro.core.db import Scope
from tests.analytics.health_data import health_dataset, local_today
from tests.tracking.factories import make_site


def _range(data) -> dict[str, str]:
    return {"date_from": data.day.isoformat(), "date_to": local_today().isoformat()}


async def test_breakdown_equals_the_hand_computation(client, databases):
    data = await health_dataset(client, databases)
    response = await client.get(
        "/api/analytics/health", headers=data.site.headers, params=_range(data)
    )
    assert response.status_code == 200, response.text
    body = response.json()

    # Sessions: 6, of which v3, v4 (paid, "mystery"), v5 (organic), v6 (direct) reach nothing.
    totals = body["totals"]
    assert totals["sessions"] == 6
    assert totals["sessions_without_campaign"] == 4
    assert totals["paid_sessions"] == 4
    assert totals["paid_sessions_without_campaign"] == 2
    rows = [
        (r["channel"], r["source"], r["sessions"], r["without_campaign"], r["paid"], r["fix"])
        for r in body["sessions"]
    ]
    assert rows == [
        ("Paid Social", "facebook", 3, 2, True, "tag_paid_links"),
        ("Direct", None, 1, 1, False, "none"),
        ("Organic Search", "google", 1, 1, False, "none"),
    ]

    # Spend: 380 in all; a2 (50, its campaign is reached by ad a1 only) and r1 (30) no session.
    assert totals["spend"] == "380.00"
    assert totals["spend_without_sessions"] == "80.00"
    assert abs(totals["spend_without_sessions_share"] - 80 / 380) < 1e-9
    spend = [
        (s["platform"], s["campaign_id"], s["campaign_name"], s["ad_id"], s["ad_name"], s["spend"])
        for s in body["spend"]
    ]
    assert spend == [
        (
            "meta",
            "111",
            "Black Friday",
            "a2",
            "Carousel",
            [{"currency": "BRL", "amount": "50.000000"}],
        ),
        (
            "meta",
            "333",
            "Retargeting",
            "r1",
            "Reminder",
            [{"currency": "BRL", "amount": "30.000000"}],
        ),
    ]
    assert {s["fix"] for s in body["spend"]} == {"add_url_parameters"}
    assert all(s["missing_parameters"] is None for s in body["spend"])  # never checked

    # UTM campaigns matching nothing: only the tagged ones ("mystery", twice).
    assert [(u["source"], u["campaign"], u["sessions"]) for u in body["utm_campaigns"]] == [
        ("facebook", "mystery", 2)
    ]

    # Sales: 3 leads, 2 with no session; 2 won, 1 with no session (R$ 100).
    sales = body["sales"]
    assert (sales["leads"], sales["leads_without_session"]) == (3, 2)
    assert (sales["won"], sales["won_without_session"]) == (2, 1)
    assert sales["revenue_without_session"] == [{"currency": "BRL", "amount": "100.00"}]
    assert sales["share_without_session"] == 0.5
    assert sales["fix"] == "capture_session"


async def test_visit_filters_select_sessions_not_the_reach_of_spend(client, databases):
    data = await health_dataset(client, databases)
    response = await client.get(
        "/api/analytics/health",
        headers=data.site.headers,
        params={**_range(data), "channel": "Paid Social"},
    )
    body = response.json()
    assert body["totals"]["sessions"] == 3
    assert body["totals"]["sessions_without_campaign"] == 2
    # Spend is reached by every session of the period: the Google campaign stays reached.
    assert body["totals"]["spend_without_sessions"] == "80.00"


async def test_a_day_without_the_data_and_other_organizations(client, databases):
    data = await health_dataset(client, databases)
    other = await make_site(client, databases)
    body = (
        await client.get("/api/analytics/health", headers=other.headers, params=_range(data))
    ).json()
    assert body["totals"]["sessions"] == 0
    assert body["spend"] == []
    assert body["sessions"] == []
    assert body["utm_campaigns"] == []
    assert body["sales"]["leads"] == 0
    assert body["totals"]["spend_without_sessions_share"] is None
    before = (data.day - timedelta(days=5)).isoformat()
    empty = (
        await client.get(
            "/api/analytics/health",
            headers=data.site.headers,
            params={"date_from": before, "date_to": before},
        )
    ).json()
    assert empty["totals"]["spend"] == "0.00"
    assert empty["spend"] == []


async def test_bad_input_is_a_clear_4xx(client, databases):
    data = await health_dataset(client, databases)
    reversed_range = await client.get(
        "/api/analytics/health",
        headers=data.site.headers,
        params={"date_from": local_today().isoformat(), "date_to": data.day.isoformat()},
    )
    assert reversed_range.status_code == 422
    assert reversed_range.json()["error"]["code"] == "invalid_date_range"
    bad_date = await client.get(
        "/api/analytics/health", headers=data.site.headers, params={"date_from": "yesterday"}
    )
    assert bad_date.status_code == 422
    assert (await client.get("/api/analytics/health")).status_code == 401


async def test_the_fix_of_spend_without_sessions_follows_the_url_check(client, databases):
    data = await health_dataset(client, databases)
    async with databases.bi.transaction(Scope.organization(data.org)) as bi:
        await url_checks.store_checks(
            bi,
            organization_id=data.org,
            platform="meta",
            account_id="act_1",
            urls=[
                AdUrl(
                    "a2",
                    "111",
                    "https://shop.example.com/?utm_source=fb&utm_medium=cpc"
                    "&utm_campaign=111&utm_content=a2",
                ),
                AdUrl("r1", "333", "https://shop.example.com/", url_suffix="utm_source=fb"),
            ],
        )
    body = (
        await client.get("/api/analytics/health", headers=data.site.headers, params=_range(data))
    ).json()
    fixes = {s["ad_id"]: (s["fix"], s["missing_parameters"]) for s in body["spend"]}
    # a2's URL carries everything: its visits are lost on the landing page (no tracker).
    assert fixes["a2"] == ("check_landing_page", [])
    assert fixes["r1"] == (
        "add_url_parameters",
        ["utm_medium", "utm_campaign", "utm_content"],
    )
