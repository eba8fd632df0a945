"""Creative insights through the API on the correlation dataset: each ad's recommendation
with its figures, the history kept once per day, and since when a recommendation holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from rastro.analytics.fx_models import CreativeInsight
from rastro.core.db import Scope
from tests.analytics.test_correlation import _dataset
from tests.tracking.factories import make_site


async def test_each_ad_gets_a_recommendation_and_the_history_says_since_when(client, databases):
    site = await _dataset(client, databases)
    h = site.headers
    body = (await client.get("/api/analytics/insights?preset=today", headers=h)).json()
    by_ad = {r["ad_id"]: r for r in body["rows"]}
    # a2 (the carousel) spent R$ 50 with clicks and no lead reaching it: tracking to fix;
    # a1 has two leads: too few to judge.
    assert by_ad["a2"]["recommendation"] == "fix_tracking"
    assert by_ad["a1"]["recommendation"] == "watch"
    assert by_ad["a1"]["leads"] == 2
    assert by_ad["a1"]["sale_rate"] == 0.5
    assert 0 < by_ad["a1"]["sale_rate_low"] < 0.5 < by_ad["a1"]["sale_rate_high"] < 1
    assert by_ad["a1"]["since"] is None  # nothing recorded yet

    recorded = await client.post("/api/analytics/insights/record?preset=today", headers=h)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json() == len(body["rows"])
    # Again the same day: replaced, still one row per ad.
    await client.post("/api/analytics/insights/record?preset=today", headers=h)
    org = site.account.organization_id
    today = datetime.now(UTC).date()
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        # As if yesterday had said the same for a1 and something else two days ago.
        rows = (await bi.scalars(CreativeInsight.__table__.select())).all()
        assert len(rows) == len(body["rows"])
        for day, recommendation in ((1, "watch"), (2, "keep")):
            await bi.execute(
                CreativeInsight.__table__.insert().values(
                    organization_id=org,
                    day=today - timedelta(days=day),
                    platform="meta",
                    account_id="act_1",
                    ad_id="a1",
                    recommendation=recommendation,
                    rule=2,
                    rules_version=1,
                    figures={},
                )
            )
        await bi.execute(update(CreativeInsight).values(rules_version=1))
    again = (await client.get("/api/analytics/insights?preset=today", headers=h)).json()
    a1 = next(r for r in again["rows"] if r["ad_id"] == "a1")
    assert a1["since"] == (today - timedelta(days=1)).isoformat()
    history = (
        await client.get(
            "/api/analytics/insights/history",
            headers=h,
            params={"platform": "meta", "account_id": "act_1", "ad_id": "a1"},
        )
    ).json()
    assert [e["recommendation"] for e in history] == ["watch", "watch", "keep"]
    # Another organization sees none of this history.
    stranger = await make_site(client, databases)
    theirs = await client.get(
        "/api/analytics/insights/history",
        headers=stranger.headers,
        params={"platform": "meta", "account_id": "act_1", "ad_id": "a1"},
    )
    assert theirs.json() == []
