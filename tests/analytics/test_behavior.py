"""Visitor behaviour: pages and events per session, events by type and the top paths, each
against a recount over tracking's own tables (page_views, events, sessions), with filters,
São Paulo day edges, the raw path, the rollup and the newest minutes after a refresh."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete

from rastro.analytics.service import rollup_months, rollups
from rastro.core.db import Scope
from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.raw import (
    add_events,
    add_page_views,
    ensure_partitions,
    in_days,
    local_day,
    raw_rows,
    raw_sessions,
)
from tests.analytics.test_rollup_months import month_mismatches
from tests.tracking.factories import make_site

ORIGIN = "https://loja.example.com.br"
URLS = [
    f"{ORIGIN}/lp?utm_source=google",
    f"{ORIGIN}/lp#form",
    f"{ORIGIN}/precos",
    f"{ORIGIN}/precos?plano=pro",
    ORIGIN,
    f"{ORIGIN}/obrigado",
]
EVENT_TYPES = ["click", "scroll", "form_start", "form_submit"]


async def add_browsing(databases, org, domain_id, rng, starts, visitor_prefix):
    visits = [
        Visit(
            start,
            f"{visitor_prefix}{i % 9}",
            channel=rng.choice(["Paid Search", "Organic Search"]),
            device=rng.choice(["mobile", "desktop"]),
            page_views=rng.randint(1, 4),
            campaign=("spring", "autumn")[i % 2],
        )
        for i, start in enumerate(starts)
    ]
    ids = await add_visits(databases, org, domain_id, visits)
    await add_page_views(
        databases,
        org,
        [
            (sid, v.started_at, [rng.choice(URLS) for _ in range(v.page_views)])
            for sid, v in zip(ids, visits, strict=True)
        ],
    )
    await add_events(
        databases,
        org,
        [
            (sid, v.started_at + timedelta(seconds=rng.randrange(300)), rng.choice(EVENT_TYPES))
            for sid, v in zip(ids, visits, strict=True)
            for _ in range(rng.randint(0, 3))
        ],
    )


def path_of(url: str) -> str:
    return urlsplit(url).path or "/"


async def recount(databases, org, date_from, date_to, keep) -> dict[str, Any]:
    sessions = {s.session_id: s for s in await raw_sessions(databases, org) if keep(s)}
    in_period = [s for s in sessions.values() if in_days(s.started_at, date_from, date_to)]
    views = Counter()
    entries = Counter()
    exits = Counter()
    for session_id, created_at, url, order in await raw_rows(
        databases, org, "SELECT session_id, created_at, page_url, view_order FROM page_views"
    ):
        session = sessions.get(session_id)
        if session is None or not in_days(created_at, date_from, date_to):
            continue
        views[path_of(url)] += 1
        entries[path_of(url)] += order == 1
        exits[path_of(url)] += order == session.page_views
    by_type = Counter(
        event_type
        for session_id, created_at, event_type in await raw_rows(
            databases, org, "SELECT session_id, created_at, event_type FROM events"
        )
        if session_id in sessions and in_days(created_at, date_from, date_to)
    )
    return {
        "sessions": len(in_period),
        "page_views": sum(s.page_views for s in in_period),
        "events": sum(s.events for s in in_period),
        "events_by_type": dict(by_type),
        "paths": {p: (views[p], entries[p], exits[p]) for p in views},
    }


def shown(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "sessions": body["sessions"],
        "page_views": body["page_views"],
        "events": body["events"],
        "events_by_type": {r["event_type"]: r["events"] for r in body["events_by_type"]},
        "paths": {r["path"]: (r["views"], r["entries"], r["exits"]) for r in body["top_paths"]},
    }


async def test_behavior_equals_a_raw_recount(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain_id = site.domain["domain_id"]
    rng = random.Random(170)
    today = local_day(datetime.now(UTC))
    date_from, date_to = today - timedelta(days=12), today - timedelta(days=2)
    base = datetime.combine(date_from, time(0), tzinfo=UTC) - timedelta(days=2)
    starts = [base + timedelta(minutes=rng.randrange(60 * 24 * 14)) for _ in range(60)]
    # 01:30 UTC is 22:30 of the previous day in São Paulo.
    starts += [
        datetime.combine(date_to + timedelta(days=1), time(1, 30), tzinfo=UTC),
        datetime.combine(date_from, time(1, 30), tzinfo=UTC),
    ]
    await add_browsing(databases, org, domain_id, rng, starts, "v")
    cases = [
        ({}, lambda s: True),
        ({"channel": "Paid Search"}, lambda s: s.channel == "Paid Search"),
        ({"device": "desktop", "domain_id": domain_id}, lambda s: s.device == "desktop"),
        # No path or event level has the campaign: the period's raw rows.
        ({"campaign": "autumn"}, lambda s: s.campaign == "autumn"),
    ]
    for rolled_up in (False, True):
        if rolled_up:
            await refresh(databases, org)
        for params, keep in cases:
            expected = await recount(databases, org, date_from, date_to, keep)
            response = await client.get(
                "/api/analytics/behavior",
                headers=site.headers,
                params={
                    "date_from": str(date_from),
                    "date_to": str(date_to),
                    "limit": 100,
                    **params,
                },
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert shown(body) == expected, (rolled_up, params)
            assert body["pages_per_session"] == expected["page_views"] / expected["sessions"]
            top = [r["path"] for r in body["top_paths"]]
            assert top == sorted(top, key=lambda p: (-expected["paths"][p][0], p))
            by_entries = [r["entries"] for r in body["top_entry_paths"]]
            assert by_entries == sorted(by_entries, reverse=True)
            assert all(by_entries)
    assert "/" in expected["paths"]
    assert "/lp" in expected["paths"]
    response = await client.get(
        "/api/analytics/behavior",
        headers=site.headers,
        params={"date_from": str(date_from), "date_to": str(date_to), "limit": 2},
    )
    assert len(response.json()["top_paths"]) == 2

    # Minutes after the refresh are counted from the raw rows, and a later refresh keeps them.
    await add_browsing(databases, org, domain_id, rng, [datetime.now(UTC)] * 3, "today")
    for _ in range(2):
        expected = await recount(databases, org, today, today, lambda s: True)
        response = await client.get(
            "/api/analytics/behavior", headers=site.headers, params={"preset": "today"}
        )
        assert shown(response.json()) == expected
        assert expected["sessions"] == 3
        await refresh(databases, org)


async def test_behavior_of_an_empty_organization_is_zeros(client, databases):
    site = await make_site(client, databases)
    response = await client.get("/api/analytics/behavior", headers=site.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sessions"] == 0
    assert body["pages_per_session"] is None
    assert body["events_by_type"] == []
    assert body["top_paths"] == []


async def test_behavior_refuses_bad_input(client, databases):
    site = await make_site(client, databases)
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"date_from": "2020-01-01", "date_to": "2026-01-01"},
    ):
        response = await client.get("/api/analytics/behavior", headers=site.headers, params=params)
        assert response.status_code == 422, (params, response.text)


async def test_behavior_over_whole_months_reads_the_path_month_levels(client, databases):
    """Each path month row is the sum of its days' rows; with the day rows of the whole
    months deleted (only the month levels hold them), the paths still equal a recount."""
    await ensure_partitions(databases, 3)
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain_id = site.domain["domain_id"]
    rng = random.Random(171)
    today = local_day(datetime.now(UTC))
    date_from, date_to = today - timedelta(days=69), today - timedelta(days=1)
    base = datetime.combine(date_from, time(12), tzinfo=UTC)
    starts = [base + timedelta(minutes=rng.randrange(60 * 24 * 70)) for _ in range(90)]
    # 01:30 UTC on the 1st is 22:30 of the month's last day in São Paulo.
    whole = rollup_months.whole_months(date_from, date_to)
    assert whole is not None
    starts.append(datetime.combine(whole[1], time(1, 30), tzinfo=UTC))
    await add_browsing(databases, org, domain_id, rng, starts, "m")
    await refresh(databases, org)
    assert await month_mismatches(databases, org, (rollups.PATHS,)) == []
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        for level in rollups.PATHS.levels:
            await bi.execute(delete(level).where(level.day >= whole[0], level.day < whole[1]))
    cases = [
        ({}, lambda s: True),
        ({"channel": "Paid Search"}, lambda s: s.channel == "Paid Search"),
        ({"device": "desktop", "domain_id": domain_id}, lambda s: s.device == "desktop"),
    ]
    for params, keep in cases:
        expected = await recount(databases, org, date_from, date_to, keep)
        response = await client.get(
            "/api/analytics/behavior",
            headers=site.headers,
            params={"date_from": str(date_from), "date_to": str(date_to), "limit": 100, **params},
        )
        assert response.status_code == 200, response.text
        assert shown(response.json()) == expected, params
        assert expected["paths"]
