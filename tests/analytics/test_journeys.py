"""Journeys: paths of channels before a lead or a sale, their figures and the flow chart's
links, against a recount over tracking's touches and the CRM's leads."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
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

CHANNELS = ["Paid Social", "Organic Search", "Direct", "Paid Search"]


def collapse(channels: list[str]) -> list[str]:
    out: list[str] = []
    for c in channels:
        if not out or out[-1] != c:
            out.append(c)
    return out


async def recount(databases, org, conversion, date_from, date_to, lookback_days, keep):
    touches = defaultdict(list)
    for visitor_id, created_at, session_id, channel in await raw_rows(
        databases,
        org,
        "SELECT visitor_id, created_at, session_id, coalesce(channel, 'Direct') FROM utm_tracking",
    ):
        touches[visitor_id].append((created_at, session_id, channel))
    paths: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"conversions": 0, "revenue": Decimal(0), "touches": 0, "seconds": 0.0}
    )
    links: dict[tuple, int] = defaultdict(int)
    conversions = 0
    for lead in await raw_leads(databases, org):
        moment = lead.created_at if conversion == "lead" else lead.won_at
        if moment is None or not in_days(moment, date_from, date_to) or not keep(lead):
            continue
        conversions += 1
        journey = sorted(
            t
            for v in lead.visitor_ids
            for t in touches[v]
            if moment - timedelta(days=lookback_days) <= t[0] <= moment
        )
        if not journey:
            continue
        channels = collapse([t[2] for t in journey])
        row = paths[" > ".join(channels)]
        row["conversions"] += 1
        row["revenue"] += lead.value if lead.won_at is not None and lead.value else Decimal(0)
        row["touches"] += len(journey)
        row["seconds"] += (moment - journey[0][0]).total_seconds()
        steps = [(i + 1, c) for i, c in enumerate(channels[:5])] + [(None, conversion)]
        for a, b in itertools.pairwise(steps):
            links[(a, b)] += 1
    return conversions, dict(paths), dict(links)


async def make_data(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    await ensure_partitions(databases, 4)
    rng = random.Random(1717)
    today = local_day(datetime.now(UTC))
    date_from, date_to = today - timedelta(days=20), today - timedelta(days=3)
    base = datetime.combine(date_from, time(0), tzinfo=UTC)
    visits = []
    for n in range(30):
        for _ in range(rng.randint(1, 7)):
            visits.append(
                Visit(
                    base - timedelta(seconds=rng.randrange(86400 * 100)) + timedelta(days=20),
                    f"v{n}",
                    channel=rng.choice(CHANNELS),
                )
            )
    await add_visits(databases, org, site.domain["domain_id"], visits)
    for n in range(24):
        won = n % 3 == 0
        await make_leads(
            databases,
            org,
            visitor_id=f"v{n}",
            contact_visitor_ids=[f"v{n + 1}"] if n % 4 == 0 else [],
            channel=rng.choice(CHANNELS),
            stage="won" if won else "new",
            stage_value=Decimal(rng.randint(100, 900)) if won else None,
            created_at=base + timedelta(seconds=rng.randrange(86400 * 18)),
        )
    # A lead at 01:30 UTC belongs to the São Paulo day before (date_to); one without touches.
    edge = datetime.combine(date_to + timedelta(days=1), time(1, 30), tzinfo=UTC)
    await make_leads(
        databases, org, visitor_id="v29", created_at=edge, stage="won", stage_value=Decimal("50.00")
    )
    await make_leads(databases, org, visitor_id="nobody", created_at=edge - timedelta(days=2))
    await refresh(databases, org)
    return site, org, date_from, date_to


CASES = [
    ("lead", 90, {}, lambda lead: True),
    ("lead", 7, {}, lambda lead: True),
    ("won", 90, {}, lambda lead: True),
    ("lead", 90, {"channel": "Direct"}, lambda lead: lead.channel == "Direct"),
]


async def test_journeys_equal_a_raw_recount(client, databases):
    site, org, date_from, date_to = await make_data(client, databases)
    paths = await check_against_recount(client, databases, site, org, date_from, date_to)
    assert any(" > " in label for label in paths)


async def check_against_recount(client, databases, site, org, date_from, date_to):
    for conversion, lookback, params, keep in CASES:
        conversions, paths, links = await recount(
            databases, org, conversion, date_from, date_to, lookback, keep
        )
        response = await client.get(
            "/api/analytics/journeys",
            headers=site.headers,
            params={
                "date_from": str(date_from),
                "date_to": str(date_to),
                "conversion": conversion,
                "lookback_days": lookback,
                "limit": 100,
                **params,
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["conversions"] == conversions
        assert body["with_touches"] == sum(p["conversions"] for p in paths.values())
        assert body["distinct_paths"] == len(paths)
        shown = {p["label"]: p for p in body["paths"]}
        assert set(shown) == set(paths), (conversion, lookback, params)
        for label, expected in paths.items():
            row = shown[label]
            assert row["conversions"] == expected["conversions"]
            assert Decimal(row["revenue"]) == expected["revenue"]
            assert row["average_touches"] == pytest.approx(
                expected["touches"] / expected["conversions"]
            )
            assert row["average_time_to_convert"] == pytest.approx(
                expected["seconds"] / expected["conversions"]
            )
            assert " > ".join(row["channels"]) == label
        counts = [p["conversions"] for p in body["paths"]]
        assert counts == sorted(counts, reverse=True)
        nodes = [(n["step"], n["name"]) for n in body["flow"]["nodes"]]
        assert {
            (nodes[link["source"]], nodes[link["target"]]): link["value"]
            for link in body["flow"]["links"]
        } == links
    assert conversions > 0
    return paths


async def _set_channels(databases, org, lead_id, channel):
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        await bi.execute(
            text(
                "UPDATE lead_journeys SET channel = array_fill(CAST(:channel AS text),"
                " ARRAY[cardinality(channel)]) WHERE lead_id = :id"
            ),
            {"id": lead_id, "channel": channel},
        )


async def test_journeys_recount_leads_changed_since_the_refresh(client, databases):
    """The refresh stores each lead's touches; a lead copied again since (another visitor,
    a win) or created since is read from the raw touches, a current row as stored."""
    site, org, date_from, date_to = await make_data(client, databases)
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        stored = (await bi.execute(text("SELECT count(*) FROM lead_journeys"))).scalar()
        facts_count = (await bi.execute(text("SELECT count(*) FROM conversion_facts"))).scalar()
    assert stored == facts_count > 20
    async with databases.crm.transaction(Scope.organization(org)) as crm:
        moved = (
            await crm.execute(
                text(
                    "UPDATE leads SET visitor_id = 'v27' WHERE visitor_id = 'v5' RETURNING lead_id"
                )
            )
        ).scalar_one()
    await make_leads(
        databases,
        org,
        visitor_id="v28",
        created_at=datetime.combine(date_to, time(12), tzinfo=UTC),
        stage="won",
        stage_value=Decimal("70.00"),
    )
    await facts.rebuild_facts(
        TransactionBoundary(databases.crm), TransactionBoundary(databases.bi), org
    )
    await _set_channels(databases, org, moved, "Tampered")  # stale: must not be read
    await check_against_recount(client, databases, site, org, date_from, date_to)
    await refresh(databases, org)
    await check_against_recount(client, databases, site, org, date_from, date_to)
    await _set_channels(databases, org, moved, "Tampered")  # current: what is read
    response = await client.get(
        "/api/analytics/journeys",
        headers=site.headers,
        params={"date_from": str(date_from), "date_to": str(date_to), "limit": 100},
    )
    assert any("Tampered" in p["channels"] for p in response.json()["paths"])


async def test_journeys_of_an_empty_organization_are_zeros(client, databases):
    site = await make_site(client, databases)
    for conversion in ("lead", "won"):
        response = await client.get(
            "/api/analytics/journeys", headers=site.headers, params={"conversion": conversion}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["conversions"] == 0
        assert body["paths"] == []
        assert body["average_touches"] is None
        assert body["flow"]["links"] == []


async def test_journeys_refuse_bad_input(client, databases):
    site = await make_site(client, databases)
    for params in (
        {"lookback_days": 0},
        {"lookback_days": 366},
        {"conversion": "sale"},
        {"limit": 0},
        {"date_from": "2026-02-10", "date_to": "2026-02-01"},
    ):
        response = await client.get("/api/analytics/journeys", headers=site.headers, params=params)
        assert response.status_code == 422, (params, response.text)
