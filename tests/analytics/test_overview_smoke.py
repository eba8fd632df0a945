from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.analytics.factories import Visit, add_visits, refresh
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site


async def test_overview_counts_sessions_leads_and_revenue(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    now = datetime.now(UTC)
    await add_visits(
        databases,
        org,
        site.domain["domain_id"],
        [
            Visit(now - timedelta(days=2), "v1"),
            Visit(now - timedelta(days=1), "v1"),
            Visit(
                now - timedelta(days=1),
                "v2",
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
        2,
        stage="won",
        stage_value=Decimal("100.00"),
        created_at=now - timedelta(days=1),
    )
    await refresh(databases, org)
    response = await client.get("/api/analytics/overview", headers=site.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totals"]["sessions"] == 3
    assert body["totals"]["visitors"] == 2
    assert body["totals"]["leads"] == 2
    assert body["totals"]["won"] == 2
    assert body["totals"]["revenue"] == [{"currency": "BRL", "amount": "200.00"}]
