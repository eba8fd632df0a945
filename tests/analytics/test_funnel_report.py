"""The funnel report against a hand-computed fixture: visitors per step and step-to-step
conversion, checkout → PIX → paid, revenue and average order, the upsell's take rate, the
source/campaign breakdown, and the organization's day boundaries (São Paulo, UTC-3)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from rastro.core.db import Scope
from rastro.funnels.monitor.models import FunnelStepVisit
from rastro.funnels.payments.models import Payment
from tests.funnels.builder import factories as b
from tests.funnels.payments import factories as f

DAY = {"date_from": "2026-11-10", "date_to": "2026-11-10"}  # UTC 03:00 → next day 03:00


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _fixture(client, databases):
    org = await f.make_org(client, databases)
    funnel = await b.create_funnel(client, org, slug="lancamento")
    steps = {
        kind: await b.add_step(client, org, funnel["id"], kind, slug=kind)
        for kind in ("capture", "checkout", "upsell", "thankyou")
    }
    ids = {kind: uuid.UUID(step["id"]) for kind, step in steps.items()}
    fid = uuid.UUID(funnel["id"])
    # (session, source, campaign, steps, first visit time in UTC)
    sessions = [
        (
            "s1",
            "facebook",
            "c1",
            ["capture", "checkout", "upsell", "thankyou"],
            "2026-11-10T03:00:00",
        ),
        ("s2", "facebook", "c1", ["capture", "checkout"], "2026-11-10T15:00:00"),
        ("s3", "google", "c2", ["capture", "checkout", "upsell"], "2026-11-10T20:00:00"),
        ("s4", "google", "c2", ["capture", "checkout"], "2026-11-10T02:59:59"),  # the 9th
        ("s5", None, None, ["capture"], "2026-11-11T02:59:59"),  # 23:59:59 on the 10th
        ("s6", "facebook", "c1", ["capture"], "2026-11-11T03:00:00"),  # the 11th
    ]
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        for sid, source, campaign, visited, when in sessions:
            for kind in visited:
                bi.add(
                    FunnelStepVisit(
                        organization_id=org.id,
                        funnel_id=fid,
                        step_id=ids[kind],
                        session_id=sid,
                        visitor_id="v" + sid,
                        visited_at=at(when),
                        source=source,
                        campaign=campaign,
                    )
                )
    # (session, step, amount, status, created at in UTC, order bump ticked: None = none
    # offered); an order bump of 27.00 is part of its charge's amount.
    payments = [
        ("s1", "checkout", "97.00", "paid", "2026-11-10T03:05:00", False),
        ("s2", "checkout", "97.00", "pending", "2026-11-10T15:10:00", True),  # not paid
        ("s3", "checkout", "97.00", "paid", "2026-11-10T20:10:00", True),
        ("s1", "upsell", "47.00", "paid", "2026-11-10T03:10:00", None),
        ("s3", "upsell", "47.00", "expired", "2026-11-10T20:20:00", None),
        ("s2", "checkout", "97.00", "refunded", "2026-11-10T15:20:00", True),  # reversed
        ("s4", "checkout", "97.00", "paid", "2026-11-10T02:30:00", True),  # the 9th: left out
    ]
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        for sid, kind, amount, status, when, bump in payments:
            crm.add(
                Payment(
                    organization_id=org.id,
                    funnel_id=fid,
                    step_id=ids[kind],
                    session_id=sid,
                    gateway="static_pix",
                    amount=Decimal(amount),
                    status=status,
                    created_at=at(when),
                    paid_at=at(when) if status in ("paid", "refunded") else None,
                    bump_product_name=None if bump is None else "Planilha",
                    bump_amount=None if bump is None else Decimal("27.00"),
                    bump_accepted=bump,
                )
            )
    return org, funnel, ids


async def test_funnel_figures_match_a_hand_computation(client, databases):
    org, funnel, ids = await _fixture(client, databases)
    response = await client.get(
        f"/api/analytics/funnels/{funnel['id']}", headers=org.headers, params=DAY
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["timezone"] == "America/Sao_Paulo"
    assert report["period"]["start"].startswith("2026-11-10T03:00:00")
    assert report["visitors"] == 4  # s1, s2, s3, s5
    assert [(s["step_type"], s["visitors"]) for s in report["steps"]] == [
        ("capture", 4),
        ("checkout", 3),
        ("upsell", 2),
        ("thankyou", 1),
    ]
    assert [s["rate_from_previous"] for s in report["steps"]] == [None, 0.75, 2 / 3, 0.5]
    assert [s["rate_from_first"] for s in report["steps"]] == [1.0, 0.75, 0.5, 0.25]
    assert report["checkout"] == {
        "checkout_visitors": 3,
        "pix_generated": 4,
        "paid": 2,
        "reversed": 1,
        "checkout_rate": 4 / 3,
        "paid_rate": 0.5,
        "revenue": "241.00",  # 97 + 97 + 47
        "average_order": "120.50",  # 241 / 2 paid orders
        # Of the 2 paid orders (s1, s3), both offered the bump and s3 ticked it.
        "bump_offered": 2,
        "bump_taken": 1,
        "bump_take_rate": 0.5,
        "bump_revenue": "27.00",
    }
    assert report["offers"] == [
        {
            "step_id": str(ids["upsell"]),
            "name": "Upsell",
            "step_type": "upsell",
            "visitors": 2,
            "pix_generated": 2,
            "paid": 1,
            "revenue": "47.00",
            "take_rate": 0.5,
        }
    ]
    assert report["dimension"] == "source"
    assert [
        (r["value"], r["visitors"], r["checkout_visitors"], r["pix_generated"], r["paid"])
        for r in report["breakdown"]
    ] == [("facebook", 2, 2, 3, 1), ("google", 1, 1, 1, 1), (None, 1, 0, 0, 0)]
    facebook, google, _ = report["breakdown"]
    assert (facebook["revenue"], facebook["paid_rate"], facebook["conversion_rate"]) == (
        "144.00",
        1 / 3,
        0.5,
    )
    assert (google["revenue"], google["paid_rate"], google["conversion_rate"]) == (
        "97.00",
        1.0,
        1.0,
    )

    by_campaign = await client.get(
        f"/api/analytics/funnels/{funnel['id']}",
        headers=org.headers,
        params={**DAY, "dimension": "campaign"},
    )
    assert [(r["value"], r["revenue"]) for r in by_campaign.json()["breakdown"]] == [
        ("c1", "144.00"),
        ("c2", "97.00"),
        (None, "0.00"),
    ]


async def test_day_boundaries_follow_the_organizations_timezone(client, databases):
    org, funnel, _ = await _fixture(client, databases)
    url = f"/api/analytics/funnels/{funnel['id']}"
    ninth = (
        await client.get(
            url, headers=org.headers, params={"date_from": "2026-11-09", "date_to": "2026-11-09"}
        )
    ).json()
    assert [s["visitors"] for s in ninth["steps"]] == [1, 1, 0, 0]  # s4 at 23:59:59
    assert (ninth["checkout"]["paid"], ninth["checkout"]["revenue"]) == (1, "97.00")
    eleventh = (
        await client.get(
            url, headers=org.headers, params={"date_from": "2026-11-11", "date_to": "2026-11-11"}
        )
    ).json()
    assert [s["visitors"] for s in eleventh["steps"]] == [1, 0, 0, 0]  # s6 at 00:00:00
    assert eleventh["checkout"]["pix_generated"] == 0
    assert eleventh["checkout"]["average_order"] is None
    assert eleventh["checkout"]["paid_rate"] is None
    three = (
        await client.get(
            url, headers=org.headers, params={"date_from": "2026-11-09", "date_to": "2026-11-11"}
        )
    ).json()
    assert three["visitors"] == 6


async def test_refusals(client, databases):
    org, funnel, _ = await _fixture(client, databases)
    other = await f.make_org(client, databases)
    url = f"/api/analytics/funnels/{funnel['id']}"
    foreign = await client.get(url, headers=other.headers, params=DAY)
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "not_found"
    reversed_range = await client.get(
        url, headers=org.headers, params={"date_from": "2026-11-10", "date_to": "2026-11-01"}
    )
    assert reversed_range.status_code == 422
    assert reversed_range.json()["error"]["code"] == "invalid_date_range"
    future = await client.get(url, headers=org.headers, params={"date_to": "2999-01-01"})
    assert future.json()["error"]["code"] == "invalid_date_range"
    bad = await client.get(url, headers=org.headers, params={"dimension": "device"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "validation_error"
    not_an_id = await client.get("/api/analytics/funnels/nope", headers=org.headers)
    assert not_an_id.status_code == 422
    anonymous = await client.get(url, params=DAY)
    assert anonymous.status_code == 401


async def test_the_overviews_funnels_block_counts_as_the_report(client, databases):
    org, funnel, _ = await _fixture(client, databases)
    idle = await b.create_funnel(client, org, slug="sem-visitas")  # nothing in the period
    summary = await client.get("/api/analytics/funnels", headers=org.headers, params=DAY)
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["currency"], body["more"]) == ("BRL", False)
    assert body["funnels"] == [
        {
            "funnel_id": funnel["id"],
            "name": funnel["name"],
            "checkout_visitors": 3,
            "pix_generated": 4,
            "paid": 2,
            "paid_rate": 0.5,
            "revenue": "241.00",
        }
    ]
    assert idle["id"] not in {row["funnel_id"] for row in body["funnels"]}
    # Another organization sees none of them.
    other = await f.make_org(client, databases)
    theirs = await client.get("/api/analytics/funnels", headers=other.headers, params=DAY)
    assert theirs.json()["funnels"] == []
    bad = await client.get(
        "/api/analytics/funnels",
        headers=org.headers,
        params={"date_from": "2026-11-11", "date_to": "2026-11-10"},
    )
    assert bad.status_code == 422
