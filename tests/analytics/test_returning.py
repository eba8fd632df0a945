"""New vs returning visitors: every number against a recount over tracking's and the CRM's
own tables, with filters, São Paulo day edges, the raw path (no rollup yet) and the rollup."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import update

from rastro.analytics.models import ConversionFact, RollupState
from rastro.analytics.schemas import ReportFilters
from rastro.analytics.service import (
    facts,
    periods,
    returning,
    rollup_refresh,
    rollups,
    visitor_sets,
)
from rastro.analytics.service.overview import Scope as ReportScope
from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary
from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.raw import (
    SAO_PAULO,
    RawSession,
    add_domain,
    in_days,
    local_day,
    raw_leads,
    raw_sessions,
)
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site

TOUCHES = [
    ("Paid Search", "google", "cpc", "spring"),
    ("Organic Search", "google", "organic", None),
    ("Paid Social", "facebook", "paid", "summer"),
]


def segment(sessions: int) -> str:
    return "new" if sessions == 1 else "returning" if sessions <= 3 else "frequent"


def recount(
    sessions: list[RawSession], lead_visitors: set[str], keep: Any
) -> dict[Any, dict[str, dict[str, int]]]:
    """{domain_id or 'all': {segment: counts}} from the raw rows."""
    per_visitor: dict[tuple[Any, str], list[RawSession]] = defaultdict(list)
    for s in sessions:
        if keep(s):
            per_visitor[(s.domain_id, s.visitor_id)].append(s)
    result: dict[Any, dict[str, dict[str, int]]] = defaultdict(
        lambda: {
            name: {"visitors": 0, "sessions": 0, "page_views": 0, "converted": 0}
            for name in ("new", "returning", "frequent")
        }
    )
    for (domain_id, visitor_id), visits in per_visitor.items():
        for key in (domain_id, "all"):
            counts = result[key][segment(len(visits))]
            counts["visitors"] += 1
            counts["sessions"] += len(visits)
            counts["page_views"] += sum(v.page_views for v in visits)
            counts["converted"] += visitor_id in lead_visitors
    return result


def shown(segments: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    return {
        s["segment"]: {
            "visitors": s["visitors"],
            "sessions": s["sessions"],
            "page_views": s["page_views"],
            "converted": s["converted_visitors"],
        }
        for s in segments
    }


async def make_data(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    other = await add_domain(client, site, "https://blog.example.com.br")
    rng = random.Random(17)
    today = local_day(datetime.now(UTC))
    date_from, date_to = today - timedelta(days=20), today - timedelta(days=5)
    base = datetime.combine(date_from, time(0), tzinfo=UTC) - timedelta(days=3)
    visits: dict[Any, list[Visit]] = defaultdict(list)
    for n in range(40):
        domain = site.domain["domain_id"] if n % 3 else str(other)
        for _ in range(rng.choice([1, 1, 2, 3, 4, 5, 6])):
            channel, source, medium, campaign = rng.choice(TOUCHES)
            visits[domain].append(
                Visit(
                    base + timedelta(minutes=rng.randrange(60 * 24 * 22)),
                    f"v{n}",
                    channel=channel,
                    source=source,
                    medium=medium,
                    campaign=campaign,
                    device=rng.choice(["mobile", "desktop"]),
                    page_views=rng.randint(1, 5),
                )
            )
    # 01:30 UTC is 22:30 of the previous day in São Paulo.
    edge = datetime.combine(date_to + timedelta(days=1), time(1, 30), tzinfo=UTC)
    visits[site.domain["domain_id"]] += [
        Visit(edge, "edge_in"),
        Visit(edge, "edge_in"),
        Visit(datetime.combine(date_from, time(1, 30), tzinfo=UTC), "edge_out"),
        Visit(edge, "bot", is_bot=True),
    ]
    for domain, rows in visits.items():
        await add_visits(databases, org, domain, rows)
    for n in (1, 2, 4, 7, 9, 12):
        await make_leads(
            databases,
            org,
            visitor_id=f"v{n}",
            created_at=base + timedelta(hours=rng.randrange(24 * 22)),
        )
    await make_leads(databases, org, visitor_id="edge_in", created_at=edge)
    # A contact's other visitor counts as converted too.
    await make_leads(databases, org, visitor_id="v3", contact_visitor_ids=["v5"], created_at=edge)
    return site, org, other, date_from, date_to


async def test_returning_visitors_equal_a_raw_recount(client, databases):
    site, org, other, date_from, date_to = await make_data(client, databases)
    sessions = await raw_sessions(databases, org)
    lead_visitors = {
        v
        for lead in await raw_leads(databases, org)
        if in_days(lead.created_at, date_from, date_to)
        for v in lead.visitor_ids
    }
    cases = [
        ({}, lambda s: True),
        ({"channel": "Paid Search"}, lambda s: s.channel == "Paid Search"),
        ({"device": "desktop"}, lambda s: s.device == "desktop"),
        ({"domain_id": str(other)}, lambda s: s.domain_id == other),
    ]
    await facts.rebuild_facts(
        TransactionBoundary(databases.crm), TransactionBoundary(databases.bi), org
    )
    for rolled_up in (False, True):
        if rolled_up:
            await refresh(databases, org)
        for params, keep in cases:
            expected = recount(
                sessions,
                lead_visitors,
                lambda s, keep=keep: keep(s) and in_days(s.started_at, date_from, date_to),
            )
            response = await client.get(
                "/api/analytics/visitors/returning",
                headers=site.headers,
                params={"date_from": str(date_from), "date_to": str(date_to), **params},
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["sessions_counted"] == "period"
            assert shown(body["segments"]) == expected["all"], (rolled_up, params)
            assert {row["domain_id"]: shown(row["segments"]) for row in body["by_domain"]} == {
                str(k): v for k, v in expected.items() if k != "all"
            }
            for row in body["segments"]:
                if row["visitors"]:
                    assert row["pages_per_visitor"] == row["page_views"] / row["visitors"]
                    assert row["conversion_rate"] == row["converted_visitors"] / row["visitors"]
    # The edges: the 01:30 UTC sessions count on the São Paulo day before.
    everything = shown(body["segments"])
    assert everything["returning"]["visitors"] >= 1
    assert sum(s["converted"] for s in everything.values()) > 0


async def test_returning_visitors_of_an_empty_organization_are_zeros(client, databases):
    site = await make_site(client, databases)
    response = await client.get("/api/analytics/visitors/returning", headers=site.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["segment"] for s in body["segments"]] == ["new", "returning", "frequent"]
    assert all(s["visitors"] == 0 and s["conversion_rate"] is None for s in body["segments"])
    assert body["by_domain"] == []


async def test_returning_visitors_refuse_bad_input(client, databases):
    site = await make_site(client, databases)
    for params in (
        {"date_from": "2026-05-10", "date_to": "2026-05-01"},
        {"device": "toaster"},
        {"channel": "Carrier Pigeon"},
    ):
        response = await client.get(
            "/api/analytics/visitors/returning", headers=site.headers, params=params
        )
        assert response.status_code == 422, (params, response.text)
        assert response.json()["error"]["code"] in ("validation_error", "invalid_date_range")


async def test_returning_visitors_from_the_sets_merge_the_newest_minutes(client, databases):
    """Stored days and sessions after the refresh's `through` (a numbered visitor back,
    visitors the refresh never numbered, one of them a lead's): the visitor sets' answer
    equals the per-visitor SQL count and the raw recount, with and without filters."""
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain = site.domain["domain_id"]
    now = datetime.now(UTC)
    today = local_day(now)
    earlier = now - timedelta(days=3)
    await add_visits(
        databases,
        org,
        domain,
        [
            Visit(earlier, "a", page_views=3),
            Visit(earlier + timedelta(hours=1), "a", page_views=4, device="desktop"),
            Visit(earlier + timedelta(hours=2), "b", page_views=1),
            Visit(earlier + timedelta(hours=3), "c", page_views=2, channel="Direct", source=None),
        ],
    )
    await make_leads(databases, org, visitor_id="b", created_at=earlier + timedelta(hours=4))
    await make_leads(databases, org, visitor_id="fresh2", created_at=earlier)
    await refresh(databases, org)
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        await bi.execute(update(RollupState).values(through=now - timedelta(minutes=5)))
    await add_visits(
        databases,
        org,
        domain,
        [
            Visit(now - timedelta(minutes=3), "a", page_views=6),
            Visit(now - timedelta(minutes=3), "fresh1", page_views=2),
            Visit(now - timedelta(minutes=2), "fresh1", page_views=7, device="desktop"),
            Visit(now - timedelta(minutes=1), "fresh2", page_views=1),
        ],
    )
    sessions = await raw_sessions(databases, org)
    date_from = today - timedelta(days=6)
    lead_visitors = {
        v
        for lead in await raw_leads(databases, org)
        if in_days(lead.created_at, date_from, today)
        for v in lead.visitor_ids
    }
    period = periods.period(date_from, today, SAO_PAULO)
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        through = await rollups.rollup_through(bi, SAO_PAULO.key)
        for params, keep in (
            ({}, lambda s: True),
            ({"device": "mobile"}, lambda s: s.device == "mobile"),
            ({"campaign": "spring"}, lambda s: s.campaign == "spring"),
            ({"channel": "Direct"}, lambda s: s.channel == "Direct"),
        ):
            scope = ReportScope(period, ReportFilters(**params), through, SAO_PAULO.key, "BRL")
            assert visitor_sets.answers(scope, "domain_id")
            from_sets = await returning._from_sets(bi, scope)
            assert from_sets == await returning._from_sessions(bi, scope), params
            expected = recount(
                sessions,
                lead_visitors,
                lambda s, keep=keep: keep(s) and in_days(s.started_at, date_from, today),
            )
            assert {str(k): v for k, v in from_sets.items()} == {
                str(k): {name: c for name, c in v.items() if c["visitors"]}
                for k, v in expected.items()
                if k != "all"
            }, params
    response = await client.get(
        "/api/analytics/visitors/returning",
        headers=site.headers,
        params={"date_from": str(date_from), "date_to": str(today)},
    )
    assert response.status_code == 200, response.text
    segments = shown(response.json()["segments"])
    # a: 3 sessions (one after `through`), fresh1: 2 (both after); b, c, fresh2: 1 each,
    # b's and fresh2's leads in the period (fresh2 never numbered by the refresh).
    assert segments["frequent"]["visitors"] == 0
    assert segments["returning"] == {"visitors": 2, "sessions": 5, "page_views": 22, "converted": 0}
    assert segments["new"] == {"visitors": 3, "sessions": 3, "page_views": 4, "converted": 2}


async def test_a_leads_visitor_numbered_after_its_day_was_stored_counts_as_converted(
    client, databases
):
    """`lead_visitor_sets` keeps the key of a lead's visitor that had no session when the
    refresh stored the lead's day; once the visitor has sessions (after `through`, then
    numbered by the next refresh, which leaves the unchanged lead's day alone) it counts
    as converted, as in the per-visitor SQL count."""
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain = site.domain["domain_id"]
    now = datetime.now(UTC)
    today = local_day(now)
    earlier = now - timedelta(days=3)
    await add_visits(databases, org, domain, [Visit(earlier, "a"), Visit(earlier, "c")])
    await make_leads(databases, org, visitor_id="a", created_at=earlier + timedelta(hours=1))
    await make_leads(databases, org, visitor_id="later", created_at=earlier + timedelta(hours=2))
    await refresh(databases, org)
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        await bi.execute(update(RollupState).values(through=now - timedelta(minutes=5)))
        # Written well before `through`: the reader takes the stored days for them.
        await bi.execute(update(ConversionFact).values(updated_at=now - timedelta(hours=1)))
    await add_visits(databases, org, domain, [Visit(now - timedelta(minutes=2), "later")])
    period = periods.period(today - timedelta(days=6), today, SAO_PAULO)

    async def converted() -> int:
        async with databases.bi.transaction(Scope.organization(org)) as bi:
            through = await rollups.rollup_through(bi, SAO_PAULO.key)
            scope = ReportScope(period, ReportFilters(), through, SAO_PAULO.key, "BRL")
            from_sets = await returning._from_sets(bi, scope)
            assert from_sets == await returning._from_sessions(bi, scope)
        return sum(c["converted"] for segments in from_sets.values() for c in segments.values())

    assert await converted() == 2  # a (stored number), later (the reader's number)
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        assert not (await rollup_refresh.refresh(bi, org, timezone=SAO_PAULO.key)).full
    assert await converted() == 2  # later: numbered now, its lead's day still holds its key
