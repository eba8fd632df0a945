"""The join of ad spend to visits: each rule on crafted touches, their precedence, case and
blanks, a campaign renamed mid-range, the mapping table (API, 422s, scoping) and the
unmapped spend and UTM campaigns side by side."""

from __future__ import annotations

from datetime import date, timedelta

from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.health_data import earlier_today, local_today
from tests.analytics.join_data import ad_row, resolved_by_campaign, store_spend
from tests.tracking.factories import make_site

BF = ("111", "Black Friday")
BRAND = ("222", "Search Brand")


async def _spend(databases, org, day: date) -> None:
    await store_spend(
        databases,
        org,
        "meta",
        "act_1",
        [
            ad_row(day, BF, ("a1", "Video A"), "100", ad_set=("s1", "Lookalike")),
            ad_row(day, BF, ("a2", "Carousel"), "50", ad_set=("s1", "Lookalike")),
        ],
    )
    await store_spend(
        databases,
        org,
        "google",
        "g_1",
        [ad_row(day, BRAND, ("ga1", "Text ad"), "200", ad_set=("gs1", "Brand terms"))],
    )


def _visit(n: int, **utm) -> Visit:
    return Visit(earlier_today(2), f"v{n}", **utm)


async def test_each_rule_in_order_of_precedence(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    await _spend(databases, org, local_today())
    await add_visits(
        databases,
        org,
        site.domain["domain_id"],
        [
            # utm_id beats a campaign name that names another campaign.
            _visit(1, campaign="black friday", utm_id=" 222 "),
            # the name, without case and blanks.
            _visit(2, campaign="  BLACK friday ", source="facebook"),
            # the campaign id in utm_campaign.
            _visit(3, campaign="111"),
            # an ad id in utm_content gives the ad, its ad set and campaign.
            _visit(4, campaign="unknown", content="a2"),
            # campaign by name, then its ad by name in utm_content.
            _visit(5, campaign="Black Friday", content="video a"),
            # an ad set id in utm_term.
            _visit(6, campaign="whatever", term="gs1"),
            # an ad set by name in utm_content.
            _visit(7, campaign="other", content="LOOKALIKE"),
            # nothing matches.
            _visit(8, campaign="mystery"),
            # the campaign matched by name; an ad id of another campaign is not taken.
            _visit(9, campaign="Black Friday", content="ga1"),
        ],
    )
    got = await resolved_by_campaign(databases, org)

    def reached(campaign, content=None, term=None):
        r = got[(campaign, content, term)]
        return (r.platform, r.campaign_id, r.ad_set_id, r.ad_id, r.rule)

    assert reached("black friday") == ("google", "222", None, None, "utm_id")
    assert reached("  BLACK friday ") == ("meta", "111", None, None, "utm_campaign_name")
    assert reached("111") == ("meta", "111", None, None, "utm_campaign_id")
    assert reached("unknown", "a2") == ("meta", "111", "s1", "a2", "ad_id")
    assert reached("Black Friday", "video a") == ("meta", "111", "s1", "a1", "utm_campaign_name")
    assert reached("whatever", None, "gs1") == ("google", "222", "gs1", None, "ad_set_id")
    assert reached("other", "LOOKALIKE") == ("meta", "111", "s1", None, "ad_set_name")
    assert got[("mystery", None, None)].rule is None
    assert reached("Black Friday", "ga1") == ("meta", "111", None, None, "utm_campaign_name")


async def test_a_renamed_campaign_joins_by_its_former_name_too(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    today = local_today()
    await store_spend(
        databases,
        org,
        "meta",
        "act_1",
        [ad_row(today - timedelta(days=1), ("9", "Old"), ("x", None), "10")],
    )
    await store_spend(
        databases, org, "meta", "act_1", [ad_row(today, ("9", "New"), ("x", None), "20")]
    )
    await add_visits(
        databases,
        org,
        site.domain["domain_id"],
        [_visit(1, campaign="old"), _visit(2, campaign="NEW")],
    )
    got = await resolved_by_campaign(databases, org)
    assert got[("old", None, None)].campaign_id == "9"
    assert got[("NEW", None, None)].campaign_id == "9"


async def test_mappings_reach_what_no_rule_does_and_are_scoped(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    await _spend(databases, org, local_today())
    await add_visits(
        databases,
        org,
        site.domain["domain_id"],
        [
            _visit(1, campaign="Mystery", source="newsletter"),
            _visit(2, campaign="mystery", content="b"),
        ],
    )
    url = "/api/analytics/spend/mappings"
    assert (await client.get(url, headers=site.headers)).json() == []
    body = {
        "mappings": [
            {"utm_campaign": " MYSTERY ", "platform": "google", "campaign_id": "222"},
            {
                "utm_campaign": "mystery",
                "utm_content": "b",
                "platform": "meta",
                "campaign_id": "111",
                "ad_id": "a2",
            },
        ]
    }
    saved = await client.put(url, headers=site.headers, json=body)
    assert saved.status_code == 200, saved.text
    listed = saved.json()
    assert [(m["utm_campaign"], m["utm_content"], m["campaign_name"]) for m in listed] == [
        ("mystery", "b", "Black Friday"),
        ("mystery", None, "Search Brand"),
    ]
    assert listed[1]["account_id"] == "g_1"  # inferred: the campaign id is unique
    got = await resolved_by_campaign(databases, org)
    # The most specific mapping wins.
    assert (got[("mystery", "b", None)].campaign_id, got[("mystery", "b", None)].ad_id) == (
        "111",
        "a2",
    )
    assert (
        got[("mystery", "b", None)].ad_set_id is None
        or got[("mystery", "b", None)].ad_set_id == "s1"
    )
    assert (got[("Mystery", None, None)].campaign_id, got[("Mystery", None, None)].rule) == (
        "222",
        "mapping",
    )
    # Saving the same UTM values again replaces the target (one mapping).
    again = await client.put(
        url,
        headers=site.headers,
        json={"mappings": [{"utm_campaign": "Mystery", "platform": "meta", "campaign_id": "111"}]},
    )
    assert len(again.json()) == 2
    assert {m["campaign_id"] for m in again.json()} == {"111"}

    # Another organization neither sees nor deletes them.
    other = await make_site(client, databases)
    assert (await client.get(url, headers=other.headers)).json() == []
    mapping_id = listed[0]["id"]
    assert (await client.delete(f"{url}/{mapping_id}", headers=other.headers)).status_code == 404
    assert (await client.delete(f"{url}/{mapping_id}", headers=site.headers)).status_code == 204
    assert (await client.delete(f"{url}/{mapping_id}", headers=site.headers)).status_code == 404
    assert len((await client.get(url, headers=site.headers)).json()) == 1


async def test_bad_mappings_are_422(client, databases):
    site = await make_site(client, databases)
    await _spend(databases, site.account.organization_id, local_today())
    url = "/api/analytics/spend/mappings"
    bad = [
        {"platform": "meta", "campaign_id": "111"},  # no UTM value
        {"utm_campaign": "x", "platform": "meta", "campaign_id": "nope"},  # never imported
        {"utm_campaign": "x", "platform": "google", "campaign_id": "111"},  # other platform
        {"utm_campaign": "x", "platform": "meta", "campaign_id": "111", "ad_id": "ga1"},
        {"utm_campaign": "x", "platform": "meta", "campaign_id": "111", "ad_set_id": "gs1"},
        {"utm_campaign": "x", "platform": "bing", "campaign_id": "111"},
    ]
    for mapping in bad:
        response = await client.put(url, headers=site.headers, json={"mappings": [mapping]})
        assert response.status_code == 422, (mapping, response.text)
        assert "error" in response.json()
    assert (await client.put(url, headers=site.headers, json={"mappings": []})).status_code == 422
    assert (await client.get(url, headers=site.headers)).json() == []
    # Another organization cannot map to this one's campaigns.
    other = await make_site(client, databases)
    response = await client.put(
        url,
        headers=other.headers,
        json={"mappings": [{"utm_campaign": "x", "platform": "meta", "campaign_id": "111"}]},
    )
    assert response.status_code == 422


async def test_unmapped_spend_and_utm_campaigns_side_by_side(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    today = local_today()
    await _spend(databases, org, today)
    await store_spend(
        databases,
        org,
        "tiktok",
        "tt_1",
        [ad_row(today, ("333", "Dance"), ("t1", None), "70", currency="USD")],
    )
    await add_visits(
        databases,
        org,
        site.domain["domain_id"],
        [
            _visit(1, campaign="Black Friday"),
            _visit(2, campaign="Mystery", source="newsletter", medium="email"),
            _visit(3, campaign="Mystery", source="newsletter", medium="email"),
            _visit(4, campaign=None, source="google", medium="organic", channel="Organic Search"),
        ],
    )
    await refresh(databases, org)
    url = "/api/analytics/spend/unmapped?preset=today"
    body = (await client.get(url, headers=site.headers)).json()
    spend = {s["campaign_id"]: s for s in body["spend"]}
    # Black Friday is reached; Search Brand and Dance are not.
    assert set(spend) == {"222", "333"}
    assert spend["333"]["spend"] == [{"currency": "USD", "amount": "70.000000"}]
    assert spend["222"]["campaign_name"] == "Search Brand"
    assert [(u["campaign"], u["sessions"]) for u in body["utm_campaigns"]] == [("Mystery", 2)]

    mapped = await client.put(
        "/api/analytics/spend/mappings",
        headers=site.headers,
        json={
            "mappings": [{"utm_campaign": "mystery", "platform": "google", "campaign_id": "222"}]
        },
    )
    assert mapped.status_code == 200
    body = (await client.get(url, headers=site.headers)).json()
    assert [s["campaign_id"] for s in body["spend"]] == ["333"]
    assert body["utm_campaigns"] == []
    bad = await client.get(
        "/api/analytics/spend/unmapped?date_from=2026-02-10&date_to=2026-02-01",
        headers=site.headers,
    )
    assert bad.status_code == 422
