"""The landing-page funnel against a recount over the raw tables, and `event_type_summary`
kept up to date by an incremental refresh."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from rastro.analytics.models import EventTypesByPage
from rastro.core.db import Scope
from rastro.tracking.models import Event
from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.report_data import (
    day_bounds,
    make_dataset,
    rate,
    raw_leads,
    raw_sessions,
    recount,
    sp_today,
    zero_row,
)
from tests.tracking.factories import make_site


def assert_funnel(shown: dict[str, Any], raw: dict[str, Any] | None) -> None:
    raw = raw or zero_row()
    assert shown["sessions"] == raw["sessions"]
    assert shown["visitors"] == len(raw["visitors"])
    assert shown["form_starts"] == raw["form_starts"]
    assert shown["leads"] == raw["leads"]
    assert shown["qualified"] == raw["qualified"]
    assert shown["won"] == raw["won"]
    assert Decimal(shown["revenue"]) == raw["revenue"].get("BRL", Decimal(0))
    assert shown["form_start_rate"] == pytest.approx(rate(raw["form_starts"], raw["sessions"]))
    assert shown["form_completion_rate"] == pytest.approx(rate(raw["leads"], raw["form_starts"]))
    assert shown["conversion_rate"] == pytest.approx(rate(raw["leads"], raw["sessions"]))
    assert shown["qualification_rate"] == pytest.approx(rate(raw["qualified"], raw["leads"]))
    assert shown["close_rate"] == pytest.approx(rate(raw["won"], raw["qualified"]))


async def test_landing_page_funnel_equals_raw_recount(client, databases):
    data = await make_dataset(client, databases)
    sessions = await raw_sessions(databases, data.organization_id)
    leads = await raw_leads(databases, data.organization_id)
    today = sp_today()
    first, last = today - timedelta(days=10), today
    now = day_bounds(first, last)
    before = day_bounds(first - timedelta(days=11), first - timedelta(days=1))
    registered = {uuid.UUID(p["page_id"]): p for p in data.pages}
    oferta_b = uuid.UUID(data.pages[1]["page_id"])
    for filters in (
        {},
        {"channel": "Paid Search"},
        # Visitors from the campaign level (its index), form starts from the raw events.
        {"campaign": "spring"},
        {"landing_page_id": oferta_b},  # last: its rows are checked below
    ):
        params = {"date_from": first, "date_to": last, "compare": "previous", **filters}
        response = await client.get(
            "/api/analytics/landing-pages", params=params, headers=data.site.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()

        def page(d: dict[str, Any]) -> Any:
            return d["landing_page_id"] if d["landing_page_id"] in registered else None

        raw_now = recount(sessions, leads, now, page, filters)
        raw_before = recount(sessions, leads, before, page, filters)
        rows = {uuid.UUID(row["page_id"]): row for row in body["rows"]}
        if "landing_page_id" in filters:
            assert set(rows) == {oferta_b}
        elif "campaign" in filters:
            assert set(rows) <= set(list(registered)[:3])
            assert any(row["current"]["form_starts"] for row in rows.values())
        else:
            # The inactive page has no data: left out; the three active ones are shown.
            assert set(rows) == set(list(registered)[:3])
        for page_id, row in rows.items():
            assert row["name"] == registered[page_id]["page_name"]
            assert row["variant"] == registered[page_id]["page_variant"]
            assert row["url"] == registered[page_id]["page_url"]
            assert_funnel(row["current"], raw_now.get(page_id))
            assert_funnel(row["previous"], raw_before.get(page_id))
        assert_funnel(body["unregistered"], raw_now.get(None))
        sessions_shown = [row["current"]["sessions"] for row in body["rows"]]
        assert sessions_shown == sorted(sessions_shown, reverse=True)
    variants = {row["variant"] for row in body["rows"]}
    assert variants == {"B"}


async def test_event_type_summary_follows_an_incremental_refresh(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain_id = site.domain["domain_id"]
    old = datetime.now(UTC) - timedelta(days=3)
    (early,) = await add_visits(databases, org, domain_id, [Visit(old, "v2")])
    await refresh(databases, org)
    # After the rollups' `through` (the last refresh's start): counted from the raw rows.
    started = datetime.now(UTC)
    (recent,) = await add_visits(databases, org, domain_id, [Visit(started, "v1")])

    async def add_event(session_id: str, at: datetime, kind: str) -> None:
        async with databases.bi.transaction(Scope.organization(org)) as bi:
            bi.add(
                Event(event_id=uuid.uuid4(), created_at=at, session_id=session_id, event_type=kind)
            )

    async def stored() -> dict[str, tuple[int, int]]:
        async with databases.bi.transaction(Scope.organization(org)) as bi:
            rows = await bi.execute(
                select(
                    EventTypesByPage.event_type,
                    func.sum(EventTypesByPage.events),
                    func.sum(EventTypesByPage.sessions_with_event),
                ).group_by(EventTypesByPage.event_type)
            )
            return {kind: (int(e), int(s)) for kind, e, s in rows}

    assert await stored() == {}
    await add_event(recent, started + timedelta(minutes=1), "form_start")
    await add_event(recent, started + timedelta(minutes=2), "form_start")
    await add_event(early, old + timedelta(minutes=1), "click")
    # The report counts the new events before any refresh (the raw minutes)...
    today = sp_today()
    body = (
        await client.get(
            "/api/analytics/landing-pages",
            params={"date_from": today - timedelta(days=1), "date_to": today},
            headers=site.headers,
        )
    ).json()
    assert body["unregistered"]["form_starts"] == 1
    assert body["unregistered"]["form_start_rate"] == pytest.approx(
        1 / body["unregistered"]["sessions"]
    )
    # ...and an incremental refresh stores the recent days (the 3-day-old session's day
    # is past the late-session window: it waits for a full refresh).
    await refresh(databases, org)
    assert await stored() == {"form_start": (2, 1)}
    await refresh(databases, org, full=True)
    assert await stored() == {"form_start": (2, 1), "click": (1, 1)}
