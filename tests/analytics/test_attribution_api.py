"""The attribution endpoints on a real database: journeys loaded from the facts and touches,
credited by the models, and the organization's analytics settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.analytics.factories import Visit, add_visits, refresh
from tests.auth.factories import auth_headers, make_account
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site

NOW = datetime.now(UTC).replace(microsecond=0)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def journeys_site(client, databases):  # type: ignore[no-untyped-def]
    """v1: Paid Search 10 days ago, Email 5 days ago, a lead won 2 days ago (100.00).
    v2: Organic Search 3 days ago, no lead. A lead with no visitor (untracked)."""
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain = site.domain["domain_id"]
    await add_visits(
        databases,
        org,
        domain,
        [
            Visit(days_ago(10), "v1", campaign="spring"),
            Visit(
                days_ago(5),
                "v1",
                channel="Email",
                source="newsletter",
                medium="email",
                campaign="may-news",
            ),
            # After the conversion: not part of the journey.
            Visit(days_ago(1), "v1", channel="Paid Social", source="meta", medium="cpc"),
            Visit(days_ago(3), "v2", channel="Organic Search", medium="organic", campaign=None),
        ],
    )
    await make_leads(
        databases,
        org,
        1,
        stage="won",
        stage_value=Decimal("100.00"),
        created_at=days_ago(2),
        visitor_id="v1",
    )
    await make_leads(databases, org, 1, created_at=days_ago(2), visitor_id=None)
    await refresh(databases, org)
    return site


def credits(body: dict) -> dict[str, tuple[float, str]]:
    return {row["key"]: (round(row["conversions"], 6), row["revenue"]) for row in body["rows"]}


async def test_linear_credits_the_journey_and_the_untracked_lead(client, databases):
    site = await journeys_site(client, databases)
    response = await client.get(
        "/api/analytics/attribution", params={"model": "linear"}, headers=site.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert credits(body) == {
        "Paid Search": (0.5, "50.00"),
        "Email": (0.5, "50.00"),
        "(untracked)": (1.0, "0.00"),
    }
    assert body["journeys"] == {"converting": 2, "untracked": 1, "non_converting": 0, "touches": 2}
    assert body["conversions"] == 2.0
    assert body["revenue"] == "100.00"
    assert body["lookback_days"] == 90
    assert body["half_life_days"] == 7.0
    assert "Google Ads" in body["definition"]


async def test_won_deals_campaign_level_and_lookback(client, databases):
    site = await journeys_site(client, databases)
    response = await client.get(
        "/api/analytics/attribution",
        params={"model": "first_touch", "level": "campaign", "conversion": "won"},
        headers=site.headers,
    )
    assert response.status_code == 200, response.text
    assert credits(response.json()) == {"spring": (1.0, "100.00"), "may-news": (0.0, "0.00")}
    # The lead is 2 days old: Paid Search was 8 days before it, Email 3. A 4-day lookback
    # leaves Email only.
    response = await client.get(
        "/api/analytics/attribution",
        params={"model": "first_touch", "conversion": "won", "lookback_days": 4},
        headers=site.headers,
    )
    assert credits(response.json()) == {"Email": (1.0, "100.00")}


async def test_markov_reads_the_non_converting_visitors(client, databases):
    site = await journeys_site(client, databases)
    response = await client.get(
        "/api/analytics/attribution", params={"model": "markov"}, headers=site.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["journeys"]["non_converting"] == 1
    # start → Paid Search → Email → conversion, start → Organic Search → null: removing
    # either Paid Search or Email loses the only converting path (RE 1 each), Organic Search
    # leads nowhere (RE 0).
    assert credits(body) == {
        "Paid Search": (0.5, "50.00"),
        "Email": (0.5, "50.00"),
        "Organic Search": (0.0, "0.00"),
        "(untracked)": (1.0, "0.00"),
    }


async def test_compare_puts_all_models_side_by_side_with_the_shift_from_last_touch(
    client, databases
):
    site = await journeys_site(client, databases)
    response = await client.get(
        "/api/analytics/attribution/compare",
        params={"conversion": "won", "half_life_days": 2.5},
        headers=site.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [m["name"] for m in body["models"]] == [
        "first_touch",
        "last_touch",
        "last_non_direct",
        "linear",
        "time_decay",
        "position_based",
        "markov",
        "shapley",
    ]
    rows = {row["key"]: row["credits"] for row in body["rows"]}
    assert list(rows) == ["Email", "Paid Search", "Organic Search"]
    assert rows["Email"]["last_touch"] == {
        "conversions": 1.0,
        "revenue": "100.00",
        "shift": 0.0,
        "shift_ratio": 0.0,
    }
    assert rows["Email"]["first_touch"]["shift"] == -1.0
    assert rows["Email"]["first_touch"]["shift_ratio"] == -1.0
    assert rows["Paid Search"]["first_touch"]["shift"] == 1.0
    assert rows["Paid Search"]["first_touch"]["shift_ratio"] is None
    # Time decay, half-life 2.5 days: Paid Search 8 days before, Email 3: weights 2^-3.2, 2^-1.2.
    paid, email = 2**-3.2, 2**-1.2
    assert rows["Paid Search"]["time_decay"]["conversions"] == pytest.approx(paid / (paid + email))
    for name in ("first_touch", "linear", "markov", "shapley"):
        assert sum(r[name]["conversions"] for r in rows.values()) == pytest.approx(1.0)
    assert body["journeys"]["non_converting"] == 1


async def test_an_organization_without_data_gets_an_empty_report(client, databases):
    site = await make_site(client, databases)
    for path, params in [
        ("/api/analytics/attribution", {"model": "markov"}),
        ("/api/analytics/attribution/compare", {}),
    ]:
        response = await client.get(path, params=params, headers=site.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["rows"] == []
        assert body["conversions"] == 0
        assert body["revenue"] == "0.00"


async def test_another_organizations_journeys_are_not_seen(client, databases):
    await journeys_site(client, databases)
    other = await make_site(client, databases)
    response = await client.get("/api/analytics/attribution/compare", headers=other.headers)
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == []
    assert response.json()["journeys"]["non_converting"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"model": "data_driven"}, "model"),
        ({"model": "linear", "lookback_days": 0}, "lookback_days"),
        ({"model": "linear", "lookback_days": 366}, "lookback_days"),
        ({"model": "linear", "half_life_days": 0}, "half_life_days"),
        ({"model": "linear", "level": "keyword"}, "level"),
        ({"model": "linear", "conversion": "visit"}, "conversion"),
        ({}, "model"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(client, databases, params, field):
    site = await make_site(client, databases)
    response = await client.get("/api/analytics/attribution", params=params, headers=site.headers)
    assert response.status_code == 422, response.text
    assert field in response.text


async def test_a_reversed_range_is_a_422(client, databases):
    site = await make_site(client, databases)
    response = await client.get(
        "/api/analytics/attribution/compare",
        params={"date_from": "2026-03-10", "date_to": "2026-03-01"},
        headers=site.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_date_range"


async def test_settings_default_then_saved_and_used_by_the_reports(client, databases):
    site = await journeys_site(client, databases)
    response = await client.get("/api/analytics/settings", headers=site.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "overview_model": "last_touch",
        "lookback_days": 90,
        "half_life_days": 7.0,
        "updated_at": None,
    }
    saved = {"overview_model": "markov", "lookback_days": 4, "half_life_days": 3.5}
    response = await client.put("/api/analytics/settings", json=saved, headers=site.headers)
    assert response.status_code == 200, response.text
    assert response.json()["updated_at"] is not None
    response = await client.get("/api/analytics/settings", headers=site.headers)
    assert {k: response.json()[k] for k in saved} == saved
    response = await client.get(
        "/api/analytics/attribution",
        params={"model": "first_touch", "conversion": "won"},
        headers=site.headers,
    )
    assert response.json()["lookback_days"] == 4
    assert credits(response.json()) == {"Email": (1.0, "100.00")}


async def test_settings_are_validated_and_only_admins_change_them(client, databases):
    site = await make_site(client, databases)
    for bad in (
        {"overview_model": "magic"},
        {"lookback_days": 0},
        {"lookback_days": 400},
        {"half_life_days": -1},
    ):
        response = await client.put("/api/analytics/settings", json=bad, headers=site.headers)
        assert response.status_code == 422, (bad, response.text)
    viewer = await make_account(
        databases, role="viewer", organization_id=site.account.organization_id
    )
    headers = await auth_headers(client, viewer)
    assert (await client.get("/api/analytics/settings", headers=headers)).status_code == 200
    response = await client.put("/api/analytics/settings", json={}, headers=headers)
    assert response.status_code == 403, response.text
