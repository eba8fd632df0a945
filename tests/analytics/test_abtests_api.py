"""A/B test results through the API on real PostgreSQL: who entered which variant, what
they did, the statistics on it, and the errors."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from statsmodels.stats.proportion import proportions_ztest

from tests.analytics.factories import Visit, add_visits, refresh
from tests.auth.factories import auth_headers, make_account
from tests.crm.factories import make_leads
from tests.tracking.factories import ORIGIN, Site, make_site


async def _ab_test(client: Any, site: Site, weights: tuple[int, int] = (1, 1)) -> dict[str, Any]:
    pages = []
    for name in ("control", "variant"):
        response = await client.post(
            "/api/landing-pages",
            headers=site.headers,
            json={
                "domain_id": site.domain["domain_id"],
                "page_url": f"{ORIGIN}/lp-{name}",
                "page_name": f"LP {name}",
            },
        )
        assert response.status_code == 201, response.text
        pages.append(response.json()["page_id"])
    response = await client.post(
        "/api/ab-tests",
        headers=site.headers,
        json={
            "domain_id": site.domain["domain_id"],
            "name": "Hero headline",
            "variants": [
                {
                    "page_id": pages[0],
                    "page_variant": "A",
                    "is_control": True,
                    "variant_weight": weights[0],
                },
                {"page_id": pages[1], "page_variant": "B", "variant_weight": weights[1]},
            ],
        },
    )
    assert response.status_code == 201, response.text
    return {"id": response.json()["ab_test_id"], "control": pages[0], "variant": pages[1]}


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


async def test_variants_count_entered_visitors_their_leads_and_revenue(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain = site.domain["domain_id"]
    test = await _ab_test(client, site)
    control, variant = uuid.UUID(test["control"]), uuid.UUID(test["variant"])
    other_page = None
    now = datetime.now(UTC)
    day = timedelta(days=1)
    await add_visits(
        databases,
        org,
        domain,
        [
            Visit(now - 3 * day, "v1", landing_page_id=control),
            # v1 later lands on the variant: stays in the control.
            Visit(now - 2 * day, "v1", landing_page_id=variant),
            Visit(now - 3 * day, "v2", landing_page_id=control),
            Visit(now - 2 * day, "v3", landing_page_id=control),
            Visit(now - 3 * day, "v4", landing_page_id=variant),
            Visit(now - 2 * day, "v5", landing_page_id=variant),
            # Not in the test: a bot, and a session that began elsewhere.
            Visit(now - 2 * day, "bot", landing_page_id=variant, is_bot=True),
            Visit(now - 2 * day, "v6", landing_page_id=other_page),
        ],
    )
    after = now - day
    await make_leads(
        databases,
        org,
        stage="won",
        stage_value=Decimal("100.00"),
        created_at=after,
        visitor_id="v1",
    )
    await make_leads(databases, org, created_at=after, visitor_id="v2")
    # v2's second lead: still one converted visitor.
    await make_leads(databases, org, created_at=after, visitor_id="v2")
    # v3's lead came before v3 entered the test: not counted.
    await make_leads(databases, org, created_at=now - 4 * day, visitor_id="v3")
    await make_leads(
        databases,
        org,
        stage="won",
        stage_value=Decimal("250.00"),
        created_at=after,
        visitor_id="v4",
    )
    # Submitted on another device; the contact's stitched visitor v5 entered the test.
    await make_leads(
        databases, org, created_at=after, visitor_id="elsewhere", contact_visitor_ids=["v5"]
    )
    await make_leads(databases, org, created_at=after, visitor_id="v6")
    await refresh(databases, org)
    # A visit after the refresh comes from the raw sessions.
    await add_visits(
        databases, org, domain, [Visit(datetime.now(UTC), "v7", landing_page_id=variant)]
    )

    date_from = (now - 5 * day).date().isoformat()
    response = await client.get(
        f"/api/analytics/ab-tests/{test['id']}",
        headers=site.headers,
        params={"date_from": date_from},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert _finite(body)
    by_page = {v["page_id"]: v for v in body["variants"]}
    c, v = by_page[test["control"]], by_page[test["variant"]]
    assert (c["visitors"], c["leads"], c["won"], Decimal(c["revenue"])) == (3, 2, 1, Decimal(100))
    assert (v["visitors"], v["leads"], v["won"], Decimal(v["revenue"])) == (3, 2, 1, Decimal(250))
    assert c["is_control"]
    assert c["lead_rate"] == 2 / 3
    assert c["revenue_per_visitor"] == 100 / 3
    assert v["revenue_per_visitor"] == 250 / 3

    leads = body["leads"]["comparisons"][0]
    assert leads["page_id"] == test["variant"]
    assert leads["absolute_lift"] == 0.0
    _z, p = proportions_ztest([2, 2], [3, 3])
    assert leads["p_value"] == p == 1.0
    assert math.isclose(leads["probability_to_beat_control"], 0.5, abs_tol=1e-12)
    # Three visitors a side: far too few to call anything.
    for metric in ("leads", "won", "revenue"):
        assert body[metric]["verdict"]["code"] == "collecting_data"
        assert body[metric]["verdict"]["reason"] == "too_few_visitors"
        assert body[metric]["winner_page_id"] is None
    revenue = body["revenue"]["comparisons"][0]
    assert math.isclose(revenue["absolute_lift"], 150 / 3)
    assert revenue["p_value"] is not None
    assert 0 <= revenue["p_value"] <= 1
    assert body["sample_ratio"]["mismatch"] is False
    assert body["rule"]["min_visitors"] == 100

    series = body["series"]
    for page, counts in ((test["control"], c), (test["variant"], v)):
        points = [point for point in series if point["page_id"] == page]
        assert sum(point["visitors"] for point in points) == counts["visitors"]
        assert sum(point["leads"] for point in points) == counts["leads"]
        assert sum(point["won"] for point in points) == counts["won"]
        assert sum(Decimal(point["revenue"]) for point in points) == Decimal(counts["revenue"])

    listing = await client.get("/api/analytics/ab-tests", headers=site.headers)
    assert listing.status_code == 200, listing.text
    [summary] = listing.json()
    assert summary["ab_test_id"] == test["id"]
    assert summary["variants"] == 2
    # The list covers the test's life (created today): only today's visitor v7.
    assert summary["visitors"] == 1
    assert summary["verdict"]["code"] == "collecting_data"


async def test_statistics_match_the_counts(client, databases):
    """Enough visitors for a verdict: the figures are those of the counts, and the split
    against 1:1 weights is checked."""
    site = await make_site(client, databases)
    org = site.account.organization_id
    test = await _ab_test(client, site)
    control, variant = uuid.UUID(test["control"]), uuid.UUID(test["variant"])
    start = datetime.now(UTC) - timedelta(days=2)
    visits = [Visit(start, f"c{i}", landing_page_id=control) for i in range(300)]
    visits += [Visit(start, f"b{i}", landing_page_id=variant) for i in range(420)]
    await add_visits(databases, org, site.domain["domain_id"], visits)
    for i in range(15):
        await make_leads(databases, org, created_at=start + timedelta(hours=1), visitor_id=f"c{i}")
    for i in range(60):
        await make_leads(databases, org, created_at=start + timedelta(hours=1), visitor_id=f"b{i}")
    await refresh(databases, org)
    response = await client.get(
        f"/api/analytics/ab-tests/{test['id']}",
        headers=site.headers,
        params={"date_from": (start - timedelta(days=1)).date().isoformat()},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    comparison = body["leads"]["comparisons"][0]
    z, p = proportions_ztest([60, 15], [420, 300])
    assert math.isclose(comparison["z"], z, rel_tol=1e-12)
    assert math.isclose(comparison["p_value"], p, rel_tol=1e-9)
    assert comparison["ci_low"] < comparison["absolute_lift"] < comparison["ci_high"]
    assert comparison["probability_to_beat_control"] > 0.99
    # 300 vs 420 visitors against 1:1 weights: p ≈ 7.6e-6 < 0.001.
    assert body["sample_ratio"]["mismatch"] is True
    assert body["leads"]["verdict"]["code"] == "srm_warning"


async def test_a_test_without_data_has_nulls_not_errors(client, databases):
    site = await make_site(client, databases)
    test = await _ab_test(client, site)
    response = await client.get(f"/api/analytics/ab-tests/{test['id']}", headers=site.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [v["visitors"] for v in body["variants"]] == [0, 0]
    assert body["variants"][0]["lead_rate"] is None
    comparison = body["leads"]["comparisons"][0]
    assert comparison["p_value"] is None
    assert comparison["probability_to_beat_control"] is None
    assert body["sample_ratio"]["p_value"] is None
    assert body["leads"]["verdict"]["code"] == "collecting_data"
    assert body["series"] == []


async def test_unknown_or_foreign_test_is_404_and_bad_dates_422(client, databases):
    site = await make_site(client, databases)
    test = await _ab_test(client, site)
    other = await make_site(client, databases)
    for headers, test_id in ((site.headers, uuid.uuid4()), (other.headers, test["id"])):
        response = await client.get(f"/api/analytics/ab-tests/{test_id}", headers=headers)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    assert (await client.get("/api/analytics/ab-tests", headers=other.headers)).json() == []
    response = await client.get(
        f"/api/analytics/ab-tests/{test['id']}",
        headers=site.headers,
        params={"date_from": "2030-01-02", "date_to": "2030-01-01"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_date_range"


async def test_viewers_may_read_results(client, databases):
    site = await make_site(client, databases)
    test = await _ab_test(client, site)
    viewer = await make_account(
        databases, role="viewer", organization_id=site.account.organization_id
    )
    headers = await auth_headers(client, viewer)
    response = await client.get(f"/api/analytics/ab-tests/{test['id']}", headers=headers)
    assert response.status_code == 200, response.text
    assert (await client.get("/api/analytics/ab-tests/" + test["id"])).status_code == 401
