"""The session history: sessions of any date range, newest first, narrowed like the
analytics reports, bots hidden unless asked for, paged, and never another organization's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from rastro.core.db import Scope
from tests.analytics.factories import Visit, add_visits
from tests.analytics.raw import ensure_partitions
from tests.auth.factories import auth_headers, make_account
from tests.tracking.factories import make_site


async def test_the_history_filters_pages_and_hides_bots(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain = site.domain["domain_id"]
    now = datetime.now(UTC)
    old = now - timedelta(days=60)
    await ensure_partitions(databases, 3)
    ids = await add_visits(
        databases,
        org,
        domain,
        [
            Visit(now - timedelta(hours=1), "v1", campaign="bf", device="desktop"),
            Visit(
                now - timedelta(hours=2),
                "v2",
                channel="Organic Search",
                source="google",
                medium="organic",
                campaign=None,
            ),
            Visit(now - timedelta(hours=3), "v3", campaign="bf"),
            Visit(now - timedelta(hours=4), "bot", is_bot=True),
            Visit(old, "v4", campaign="bf"),
        ],
    )
    h = site.headers
    week = {
        "started_from": (now - timedelta(days=7)).isoformat(),
        "started_to": (now + timedelta(minutes=1)).isoformat(),
    }

    async def get(**params):
        response = await client.get("/api/sessions", headers=h, params={**week, **params})
        assert response.status_code == 200, response.text
        return response.json()

    body = await get()
    assert [s["session_id"] for s in body["items"]] == ids[:3]
    assert body["total"] == 3
    first = body["items"][0]
    assert (first["channel"], first["source"], first["medium"], first["campaign"]) == (
        "Paid Search",
        "google",
        "cpc",
        "bf",
    )
    assert first["device"] == "desktop"
    assert [s["session_id"] for s in (await get(campaign="bf"))["items"]] == [ids[0], ids[2]]
    assert [s["session_id"] for s in (await get(channel="Organic Search"))["items"]] == [ids[1]]
    assert [s["session_id"] for s in (await get(device="desktop"))["items"]] == [ids[0]]
    assert (await get(include_bots="true"))["total"] == 4
    paged = await get(page=2, page_size=2)
    assert [s["session_id"] for s in paged["items"]] == [ids[2]]
    assert paged["total"] == 3
    # Any range: the session of 60 days ago is there when asked for.
    older = await get(started_from=(old - timedelta(days=1)).isoformat())
    assert older["total"] == 4

    for bad in (
        {"started_to": (now - timedelta(days=8)).isoformat()},
        {"started_from": (now - timedelta(days=500)).isoformat()},
        {"channel": "Telepathy"},
        {"device": "fridge"},
    ):
        refused = await client.get("/api/sessions", headers=h, params={**week, **bad})
        assert refused.status_code == 422, bad
        assert "error" in refused.json()
    missing = await client.get("/api/sessions", headers=h)
    assert missing.status_code == 422

    stranger = await make_account(databases, role="admin")
    theirs = await client.get(
        "/api/sessions", headers=await auth_headers(client, stranger), params=week
    )
    assert theirs.json()["total"] == 0


async def test_activity_says_whether_a_snippet_sends_and_how_landing_pages_convert(
    client, databases
):
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain = site.domain["domain_id"]
    h = site.headers
    empty = (await client.get("/api/tracking/activity", headers=h)).json()
    assert empty["domains"] == []
    assert empty["landing_pages"] == []

    page = await client.post(
        "/api/landing-pages",
        headers=h,
        json={"domain_id": domain, "page_url": "https://example.com/oferta", "page_name": "Oferta"},
    )
    assert page.status_code == 201, page.text
    page_id = page.json()["page_id"]
    now = datetime.now(UTC)
    await add_visits(
        databases,
        org,
        domain,
        [
            Visit(now - timedelta(minutes=5), "v1", landing_page_id=page_id),
            Visit(now - timedelta(minutes=6), "v2", landing_page_id=page_id),
            Visit(now - timedelta(minutes=7), "bot", landing_page_id=page_id, is_bot=True),
        ],
    )
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        await bi.execute(text("UPDATE sessions SET converted = true WHERE visitor_id = 'v1'"))
    body = (await client.get("/api/tracking/activity", headers=h)).json()
    [domain_row] = body["domains"]
    assert domain_row["domain_id"] == domain
    today_start = datetime.fromisoformat(body["today_start"])
    started = [now - timedelta(minutes=5), now - timedelta(minutes=6)]
    assert domain_row["sessions_today"] == sum(s >= today_start for s in started)
    assert datetime.fromisoformat(domain_row["last_event_at"]) > now - timedelta(minutes=10)
    [landing] = body["landing_pages"]
    assert landing == {
        "landing_page_id": page_id,
        "sessions": 2,
        "converted": 1,
        "conversion_rate": 0.5,
    }
    assert (await client.get("/api/tracking/activity?days=0", headers=h)).status_code == 422
