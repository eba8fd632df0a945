"""The Overview's channel and campaign tables credit leads and sales with the
organization's chosen attribution model (its setting); sessions stay the rollups'."""

from __future__ import annotations

from decimal import Decimal

from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.health_data import earlier_today
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site


async def test_the_overview_credits_with_the_organizations_model(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    # Three moments of the organization's today in order, whatever the hour the test runs.
    await add_visits(
        databases,
        org,
        site.domain["domain_id"],
        [
            Visit(
                earlier_today(3),
                "v1",
                channel="Paid Social",
                source="facebook",
                medium="paid_social",
                campaign="bf",
            ),
            Visit(
                earlier_today(2),
                "v1",
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
        stage="won",
        stage_value=Decimal("100.00"),
        visitor_id="v1",
        created_at=earlier_today(1),
        channel="Organic Search",
        campaign=None,
    )
    await refresh(databases, org)
    default = (
        await client.get("/api/analytics/overview?preset=today", headers=site.headers)
    ).json()
    assert default["attribution_model"] == "last_touch"
    default_channels = {r["key"]: r for r in default["by_channel"]}
    assert {r["key"]: r["leads"] for r in default["by_channel"]} == {
        "Organic Search": 1,
        "Paid Social": 0,
    }

    saved = await client.put(
        "/api/analytics/settings",
        headers=site.headers,
        json={"overview_model": "linear", "lookback_days": 90, "half_life_days": 7},
    )
    assert saved.status_code == 200, saved.text
    body = (await client.get("/api/analytics/overview?preset=today", headers=site.headers)).json()
    assert body["attribution_model"] == "linear"
    channels = {r["key"]: r for r in body["by_channel"]}
    assert channels["Paid Social"]["leads"] == 0.5
    assert channels["Organic Search"]["leads"] == 0.5
    assert channels["Paid Social"]["revenue"] == "50.00"
    assert channels["Paid Social"]["sessions"] == 1
    # The won lead was qualified on its way: the model credits that too.
    assert default_channels["Organic Search"]["qualified"] == 1
    assert channels["Paid Social"]["qualified"] == 0.5
    assert channels["Organic Search"]["qualified"] == 0.5
    campaigns = {r["key"]: r for r in body["by_campaign"]}
    assert campaigns["bf"]["won"] == 0.5
    assert sum(r["leads"] for r in body["by_campaign"]) == 1
    # The totals do not depend on the model.
    assert body["totals"] == default["totals"]
