"""The Ads report's spend tree: sums per platform, campaign, ad set and ad equal to the
rows, one currency per group, the period's days only, scoped to the organization; the ad
accounts list shows each account's newest import run."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.analytics.spend_helpers import add_account, add_credential, spend_org
from tests.analytics.test_spend_api import post_csv

CSV = (
    b"day,campaign id,campaign,ad set id,ad set,ad id,ad,spend,currency,impressions,clicks,"
    b"conversion value\n"
    b"2026-11-01,c1,Black Friday,s1,Women,a1,Video A,100.00,BRL,1000,50,300\n"
    b"2026-11-02,c1,Black Friday,s1,Women,a1,Video A,50.00,BRL,1000,30,0\n"
    b"2026-11-01,c1,Black Friday,s1,Women,a2,Video B,25.50,BRL,500,0,0\n"
    b"2026-11-01,c1,Black Friday,s2,Men,a3,Image C,40.00,BRL,0,0,80\n"
    b"2026-11-01,c2,Remarketing,s3,All,a4,Carousel,10.00,USD,100,10,25\n"
    b"2026-10-31,c1,Black Friday,s1,Women,a1,Video A,999.00,BRL,1,1,1\n"
)
MAPPING = {
    "day": "day",
    "campaign_id": "campaign id",
    "campaign_name": "campaign",
    "ad_set_id": "ad set id",
    "ad_set_name": "ad set",
    "ad_id": "ad id",
    "ad_name": "ad",
    "spend": "spend",
    "currency": "currency",
    "impressions": "impressions",
    "clicks": "clicks",
    "conversion_value": "conversion value",
}
PERIOD = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def by_key(rows, level):
    keys = {
        "total": (),
        "platform": ("platform",),
        "campaign": ("campaign_id",),
        "ad_set": ("ad_set_id",),
        "ad": ("ad_id",),
    }[level]
    return {(*(r[k] for k in keys), r["currency"]): r for r in rows if r["level"] == level}


async def test_spend_tree_sums_each_level_per_currency(client, databases):
    org = await spend_org(client, databases)
    done = await post_csv(client, org, "csv", CSV, mapping=json.dumps(MAPPING), source="pinterest")
    assert done.status_code == 201, done.text
    response = await client.get("/api/analytics/spend/report", headers=org.headers, params=PERIOD)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["range"]["current"]["date_from"] == "2026-11-01"
    rows = report["rows"]

    totals = by_key(rows, "total")
    assert set(totals) == {("BRL",), ("USD",)}  # never summed across currencies
    assert Decimal(totals[("BRL",)]["spend"]) == Decimal("215.50")  # Oct 31 left out
    platform = by_key(rows, "platform")[("pinterest", "BRL")]
    assert Decimal(platform["spend"]) == Decimal("215.50")
    assert platform["impressions"] == 2500
    assert platform["clicks"] == 80
    assert platform["platform_roas"] == float(Decimal(380) / Decimal("215.50"))

    campaign = by_key(rows, "campaign")[("c1", "BRL")]
    assert campaign["campaign_name"] == "Black Friday"
    assert campaign["ad_set_id"] is None
    assert campaign["ad_id"] is None
    assert Decimal(campaign["spend"]) == Decimal("215.50")
    ad_sets = by_key(rows, "ad_set")
    assert Decimal(ad_sets[("s1", "BRL")]["spend"]) == Decimal("175.50")
    assert ad_sets[("s1", "BRL")]["ad_set_name"] == "Women"
    assert ad_sets[("s2", "BRL")]["campaign_id"] == "c1"
    ads = by_key(rows, "ad")
    video = ads[("a1", "BRL")]
    assert (video["ad_name"], video["ad_set_id"], video["campaign_id"]) == ("Video A", "s1", "c1")
    assert Decimal(video["spend"]) == Decimal("150")
    assert video["ctr"] == 80 / 2000
    assert Decimal(video["cpc"]) == Decimal("1.88")  # 150 / 80
    assert video["platform_roas"] == 2.0  # 300 / 150
    assert ads[("a2", "BRL")]["cpc"] is None  # no clicks: no CPC, not a division by zero
    assert ads[("a3", "BRL")]["ctr"] is None
    usd = ads[("a4", "USD")]
    assert (usd["campaign_name"], Decimal(usd["spend"])) == ("Remarketing", Decimal(10))
    # largest spend first within a level, levels from the total down
    levels = [r["level"] for r in rows]
    assert levels == sorted(levels, key=["total", "platform", "campaign", "ad_set", "ad"].index)
    assert [r["ad_id"] for r in rows if r["level"] == "ad"][:2] == ["a1", "a3"]

    other = await spend_org(client, databases)
    theirs = await client.get("/api/analytics/spend/report", headers=other.headers, params=PERIOD)
    assert theirs.json()["rows"] == []
    bad = await client.get(
        "/api/analytics/spend/report",
        headers=org.headers,
        params={"date_from": "2026-11-30", "date_to": "2026-11-01"},
    )
    assert bad.status_code == 422


async def test_accounts_show_their_newest_import_run(client, databases):
    org = await spend_org(client, databases)
    credential = await add_credential(client, org, "meta_ads", "http://127.0.0.1:9", "EAAB-x")
    first = await add_account(client, org, "meta", "act_1", credential)
    await add_account(client, org, "meta", "act_2", credential)
    for months in (1, 3):
        queued = await client.post(
            f"/api/analytics/spend/accounts/{first['id']}/backfill",
            headers=org.headers,
            json={"months": months},
        )
        assert queued.status_code == 202
    newest = queued.json()
    accounts = (await client.get("/api/analytics/spend/accounts", headers=org.headers)).json()
    runs = {a["account_id"]: a["last_run"] for a in accounts}
    assert runs["act_2"] is None
    assert runs["act_1"]["id"] == newest["id"]
    assert runs["act_1"]["status"] == "queued"
