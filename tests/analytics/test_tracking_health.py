"""Tracking health on crafted data: each check counts what a hand count finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.join_data import ad_row, store_spend
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site


async def test_each_check_counts_what_escapes_attribution(client, databases):
    site = await make_site(client, databases)
    other = await make_site(client, databases)
    org = site.account.organization_id
    now = datetime.now(UTC)
    ids = await add_visits(
        databases,
        org,
        site.domain["domain_id"],
        [
            Visit(
                now - timedelta(hours=3),
                "v1",
                channel="Paid Social",
                source="facebook",
                medium="paid_social",
                campaign="bf",
            ),
            Visit(
                now - timedelta(hours=2),
                "v2",
                channel="Paid Social",
                source="facebook",
                medium="paid_social",
                campaign=None,
            ),
            Visit(
                now - timedelta(hours=2),
                "v3",
                channel="Paid Search",
                source="google",
                medium="cpc",
                campaign=None,
            ),
            Visit(
                now - timedelta(hours=1),
                "v4",
                channel="Organic Search",
                source="google",
                medium="organic",
                campaign=None,
            ),
        ],
    )
    await make_leads(
        databases,
        org,
        1,
        created_at=now - timedelta(minutes=50),
        session_id=ids[0],
        visitor_id="v1",
    )
    await make_leads(databases, org, 2, created_at=now - timedelta(minutes=40))
    await make_leads(
        databases,
        org,
        1,
        stage="won",
        stage_value=Decimal("200.00"),
        created_at=now - timedelta(minutes=30),
    )
    await store_spend(
        databases,
        org,
        "meta",
        "act_9",
        [ad_row(now.date(), ("999", "Sem UTM"), ("x1", None), "80")],
    )
    await refresh(databases, org)
    body = (
        await client.get("/api/analytics/tracking-health?preset=today", headers=site.headers)
    ).json()
    checks = {c["id"]: c for c in body["checks"]}
    assert (checks["leads_without_session"]["count"], checks["leads_without_session"]["total"]) == (
        3,
        4,
    )
    assert checks["leads_without_session"]["status"] == "warning"
    sales = checks["sales_without_session"]
    assert (sales["count"], sales["total"], Decimal(sales["amount"])) == (1, 1, Decimal("200.00"))
    paid = checks["paid_sessions_without_campaign"]
    assert (paid["count"], paid["total"]) == (2, 3)  # organic search does not count
    assert any("facebook" in e for e in paid["examples"])
    spend = checks["spend_without_sessions"]
    assert (spend["count"], Decimal(spend["amount"])) == (1, Decimal("80.00"))
    assert spend["examples"] == ["meta · Sem UTM"]
    assert checks["utms_without_campaign"]["count"] >= 1  # "bf" reaches no campaign with spend

    # Another organization sees an empty, healthy picture; bad input is a 4xx.
    theirs = (
        await client.get("/api/analytics/tracking-health?preset=today", headers=other.headers)
    ).json()
    assert all(c["count"] == 0 and c["status"] == "ok" for c in theirs["checks"])
    bad = await client.get(
        "/api/analytics/tracking-health?date_from=2025-02-01&date_to=2025-01-01",
        headers=site.headers,
    )
    assert bad.status_code == 422
