"""Cohorts: leads by the month (week) of their first touch, customers, repeat customers and
LTV curves, against a recount over tracking's touches and the CRM's leads and stages."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from rastro.analytics.service import facts
from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary
from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.raw import ensure_partitions, in_days, local_day, raw_leads, raw_rows
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site

CHANNELS = ["Paid Social", "Organic Search", "Paid Search"]


def start_of(day: date, period: str) -> date:
    return day.replace(day=1) if period == "month" else day - timedelta(days=day.weekday())


def age(start: date, day: date, period: str) -> int:
    if period == "week":
        return (day - start).days // 7
    return (day.year - start.year) * 12 + day.month - start.month


async def recount(databases, org, date_from, date_to, period, by, keep):
    touches = defaultdict(list)
    for visitor_id, created_at, channel, campaign in await raw_rows(
        databases, org, "SELECT visitor_id, created_at, channel, utm_campaign FROM utm_tracking"
    ):
        touches[visitor_id].append((created_at, channel, campaign))
    cohorts: dict[tuple, dict[str, Any]] = defaultdict(
        lambda: {
            "leads": 0,
            "won": 0,
            "purchases": defaultdict(int),
            "first": {},
            "by_age": defaultdict(Decimal),
        }
    )
    today = local_day(datetime.now(UTC))
    for lead in await raw_leads(databases, org):
        before = sorted(t for v in lead.visitor_ids for t in touches[v] if t[0] <= lead.created_at)
        at, channel, campaign = (
            before[0] if before else (lead.created_at, lead.channel, lead.campaign)
        )
        if not in_days(at, date_from, date_to) or not keep(channel):
            continue
        start = start_of(local_day(at), period)
        key = {"none": None, "channel": channel, "campaign": campaign}[by]
        cohort = cohorts[(start, key)]
        cohort["leads"] += 1
        if lead.won_at is not None:
            won_age = age(start, local_day(lead.won_at), period)
            cohort["won"] += 1
            cohort["purchases"][lead.contact_id] += 1
            cohort["first"][lead.contact_id] = min(
                cohort["first"].get(lead.contact_id, won_age), won_age
            )
            cohort["by_age"][won_age] += lead.value or Decimal(0)
    result = {}
    for (start, key), c in cohorts.items():
        points, total = [], Decimal(0)
        for a in range(age(start, today, period) + 1):
            total += c["by_age"].get(a, Decimal(0))
            points.append((a, total, sum(1 for f in c["first"].values() if f <= a)))
        result[(str(start), key)] = {
            "leads": c["leads"],
            "won": c["won"],
            "customers": len(c["purchases"]),
            "repeat_customers": sum(1 for n in c["purchases"].values() if n > 1),
            "revenue": sum(c["by_age"].values(), Decimal(0)),
            "ltv": points,
        }
    return result


def shown(body):
    return {
        (row["start"], row["key"]): {
            "leads": row["leads"],
            "won": row["won"],
            "customers": row["customers"],
            "repeat_customers": row["repeat_customers"],
            "revenue": Decimal(row["revenue"]),
            "ltv": [(p["age"], Decimal(p["revenue"]), p["customers"]) for p in row["ltv"]],
        }
        for row in body["cohorts"]
    }


async def make_data(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    await ensure_partitions(databases, 5)
    rng = random.Random(5)
    now = datetime.now(UTC)
    visits = [
        Visit(
            now - timedelta(seconds=rng.randrange(86400 * 130)),
            f"v{n}",
            channel=channel,
            campaign=f"c{n % 3}",
        )
        for n in range(30)
        for channel in rng.sample(CHANNELS, rng.randint(1, 3))
    ]
    await add_visits(databases, org, site.domain["domain_id"], visits)
    leads = []
    for n in range(34):
        won = n % 2 == 0
        leads += await make_leads(
            databases,
            org,
            visitor_id=f"v{n}",  # v30..v33 have no touch: their cohort is their creation
            channel=rng.choice(CHANNELS),
            campaign="offline",
            stage="won" if won else "new",
            stage_value=Decimal(rng.randint(100, 900)) if won else None,
            created_at=now - timedelta(seconds=rng.randrange(86400 * 100)),
        )
    async with databases.crm.transaction(Scope.organization(org)) as crm:
        # Some deals are won weeks after the lead; two won leads share a contact (a repeat).
        for row in leads[:12:4]:
            await crm.execute(
                text(
                    "UPDATE lead_stages SET created_at = least(created_at + interval '40 days',"
                    " now()) WHERE lead_id = :id"
                ),
                {"id": row.lead_id},
            )
        await crm.execute(
            text("UPDATE leads SET contact_id = :contact, visitor_id = 'v0' WHERE lead_id = :id"),
            {"contact": leads[0].contact_id, "id": leads[2].lead_id},
        )
    # 01:30 UTC on the first of a month is the last day of the month before in São Paulo.
    edge = datetime.combine(local_day(now).replace(day=1), time(1, 30), tzinfo=UTC)
    await make_leads(
        databases,
        org,
        visitor_id="late",
        created_at=edge,
        stage="won",
        stage_value=Decimal("10.00"),
    )
    await refresh(databases, org)
    return site, org, edge


@pytest.mark.parametrize("period", ["month", "week"])
async def test_cohorts_equal_a_raw_recount(client, databases, period):
    site, org, edge = await make_data(client, databases)
    today = local_day(datetime.now(UTC))
    date_from = today - timedelta(days=150)
    for by, params, keep in [
        ("none", {}, lambda channel: True),
        ("channel", {}, lambda channel: True),
        ("campaign", {"channel": "Paid Social"}, lambda channel: channel == "Paid Social"),
    ]:
        expected = await recount(databases, org, date_from, today, period, by, keep)
        response = await client.get(
            "/api/analytics/cohorts",
            headers=site.headers,
            params={
                "date_from": str(date_from),
                "date_to": str(today),
                "period": period,
                "by": by,
                **params,
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert shown(body) == expected, (period, by)
        assert body["cac_note"] == "no_spend_data"
        assert all(row["cac"] is None and row["payback_periods"] is None for row in body["cohorts"])
    everything = await recount(databases, org, date_from, today, period, "none", lambda c: True)
    assert sum(c["repeat_customers"] for c in everything.values()) == 1
    assert any(len({p[1] for p in c["ltv"]}) > 2 for c in everything.values())
    if period == "month":
        assert (str(start_of(local_day(edge), "month")), None) in everything
        assert local_day(edge).month != edge.month


async def test_cohorts_of_an_empty_organization_are_empty(client, databases):
    site = await make_site(client, databases)
    response = await client.get("/api/analytics/cohorts", headers=site.headers)
    assert response.status_code == 200, response.text
    assert response.json()["cohorts"] == []


async def test_cohorts_refuse_bad_input(client, databases):
    site = await make_site(client, databases)
    for params in ({"period": "year"}, {"by": "device"}, {"date_to": "2999-01-01"}):
        response = await client.get("/api/analytics/cohorts", headers=site.headers, params=params)
        assert response.status_code == 422, (params, response.text)


async def _cohorts(client, site, date_from, today, by="channel"):
    response = await client.get(
        "/api/analytics/cohorts",
        headers=site.headers,
        params={"date_from": str(date_from), "date_to": str(today), "by": by},
    )
    assert response.status_code == 200, response.text
    return shown(response.json())


async def test_cohorts_recount_leads_changed_since_the_refresh(client, databases):
    """The refresh stores each lead's first touch; a lead copied again since (another
    visitor) or created since is read from the raw touches, a current row as stored."""
    site, org, _ = await make_data(client, databases)
    today = local_day(datetime.now(UTC))
    date_from = today - timedelta(days=150)
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        stored = (await bi.execute(text("SELECT count(*) FROM lead_first_touches"))).scalar()
        facts_count = (await bi.execute(text("SELECT count(*) FROM conversion_facts"))).scalar()
    assert stored == facts_count > 30
    # After the refresh: lead v3 moves to visitor v9, and a new lead of v7 arrives.
    async with databases.crm.transaction(Scope.organization(org)) as crm:
        moved = (
            await crm.execute(
                text("UPDATE leads SET visitor_id = 'v9' WHERE visitor_id = 'v3' RETURNING lead_id")
            )
        ).scalar_one()
    await make_leads(
        databases, org, visitor_id="v7", created_at=datetime.now(UTC) - timedelta(hours=1)
    )
    await facts.rebuild_facts(
        TransactionBoundary(databases.crm), TransactionBoundary(databases.bi), org
    )
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        # The moved lead's stored row is stale: were it read, its cohort would be "Tampered".
        await bi.execute(
            text("UPDATE lead_first_touches SET channel = 'Tampered' WHERE lead_id = :id"),
            {"id": moved},
        )
    expected = await recount(databases, org, date_from, today, "month", "channel", lambda c: True)
    assert await _cohorts(client, site, date_from, today) == expected
    # The next refresh stores the changed leads again, with the same answer.
    await refresh(databases, org)
    assert await _cohorts(client, site, date_from, today) == expected
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        # A current row is what the report reads.
        await bi.execute(
            text("UPDATE lead_first_touches SET channel = 'Tampered' WHERE lead_id = :id"),
            {"id": moved},
        )
    shown_now = await _cohorts(client, site, date_from, today)
    assert any(key == "Tampered" for _, key in shown_now)
