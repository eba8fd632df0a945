"""The collector's sessions: inactivity and campaign rules, visitor ids, bots, exit pages,
the timeline and journey reads, the pixel, live events and reference codes."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text

from rastro.core.db import Scope
from rastro.core.jobs import JobContext, set_job_context
from rastro.tracking.models import Event, PageView, TrackedSession, UtmTracking, VisitorJourney
from tests.tracking.factories import ORIGIN, batch, collect, event, make_site

LANDING = f"{ORIGIN}/lp?utm_source=google&utm_medium=cpc&utm_campaign=bf&gclid=TEST123&matchtype=e&promo=10"


async def _rows(databases, site, model, *where):
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
        return list(await s.scalars(select(model).where(*where)))


async def test_inactivity_and_a_new_campaign_start_new_sessions(client, databases):
    site = await make_site(client, databases)
    sid = "s_" + "c" * 22
    await collect(client, batch(site, [event(offset=-3 * 3600, view_id="a")], session_id=sid))
    # 31 minutes later the same tracker session id: a new server session
    second = (
        await collect(client, batch(site, [event(offset=-3 * 3600 + 31 * 60)], session_id=sid))
    ).json()
    assert second["session_id"] == f"{sid}.2"
    # a new campaign in the landing URL: another session
    third = (
        await collect(
            client,
            batch(
                site,
                [
                    event(
                        offset=-3 * 3600 + 32 * 60,
                        url=f"{ORIGIN}/lp?utm_source=meta&utm_medium=paid_social",
                    )
                ],
                session_id=sid,
            ),
        )
    ).json()
    assert third["session_id"] == f"{sid}.3"
    # the same campaign again a minute later stays in that session
    same = (
        await collect(
            client,
            batch(
                site,
                [
                    event(
                        offset=-3 * 3600 + 33 * 60,
                        url=f"{ORIGIN}/lp?utm_source=meta&utm_medium=paid_social",
                    )
                ],
                session_id=sid,
            ),
        )
    ).json()
    assert same["session_id"] == f"{sid}.3"
    sessions = sorted(await _rows(databases, site, TrackedSession), key=lambda s: s.started_at)
    assert [s.return_visits for s in sessions] == [0, 1, 2]
    assert [s.channel for s in sessions] == ["Direct", "Direct", "Paid Social"]
    (journey,) = await _rows(databases, site, VisitorJourney)
    assert (journey.total_sessions, journey.total_page_views) == (3, 4)
    # leaving a page hours later updates its view and starts nothing
    leave = (
        await collect(
            client,
            batch(
                site, [event("page_leave", view_id="a", time_on_page=42, exit=True)], session_id=sid
            ),
        )
    ).json()
    assert leave["accepted"] == 1
    assert len(await _rows(databases, site, TrackedSession)) == 3
    (first_view,) = await _rows(databases, site, PageView, PageView.client_view_id == "a")
    assert (first_view.time_on_page, first_view.exit_page) == (42, True)


async def test_visitor_id_is_first_party_or_a_keyed_hash_without_the_ip(client, databases):
    site = await make_site(client, databases)
    await collect(client, batch(site, [event()], session_id="s_first_party_000001"))
    await collect(client, batch(site, [event()], session_id="s_no_cookie_0000001", visitor_id=None))
    ids = {s.client_session_id: s.visitor_id for s in await _rows(databases, site, TrackedSession)}
    assert ids["s_first_party_000001"] == "v_" + "b" * 22
    hashed = ids["s_no_cookie_0000001"]
    assert hashed.startswith("h_")
    assert "203.0.113.7" not in hashed
    assert len(hashed) == 42
    other = await make_site(client, databases)
    await collect(
        client, batch(other, [event()], session_id="s_no_cookie_0000002", visitor_id=None)
    )
    (other_session,) = await _rows(databases, other, TrackedSession)
    assert other_session.visitor_id != hashed  # keyed per organization


async def test_bots_are_flagged_and_left_out_of_live_sessions(client, databases):
    site = await make_site(client, databases)
    await collect(client, batch(site, [event()], session_id="s_human_00000000001"))
    await collect(
        client,
        batch(site, [event()], session_id="s_bot_0000000000001"),
        user_agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    )
    await collect(
        client,
        batch(site, [event()], session_id="s_headless_00000001"),
        user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
    )
    live = (await client.get("/api/sessions/live", headers=site.headers)).json()
    assert [s["session_id"] for s in live["items"]] == ["s_human_00000000001"]
    with_bots = (
        await client.get("/api/sessions/live?include_bots=true", headers=site.headers)
    ).json()
    assert with_bots["total"] == 3
    # the three sessions share a visitor id: only the human's counts in the journey
    (journey,) = await _rows(databases, site, VisitorJourney)
    assert (journey.total_sessions, journey.total_page_views) == (1, 1)


async def test_the_exit_page_is_the_last_view_of_the_session(client, databases):
    site = await make_site(client, databases)
    sid = "s_exit_000000000001"

    async def send(*events):
        response = await collect(client, batch(site, list(events), session_id=sid))
        assert response.json()["accepted"] == len(events)

    async def exits():
        views = await _rows(databases, site, PageView)
        return {v.client_view_id: (v.exit_page, v.time_on_page) for v in views}

    await send(event(view_id="a", offset=-60))
    # the tab is hidden: the page is the exit, for now
    await send(event("page_leave", view_id="a", time_on_page=5, exit=True, offset=-50))
    assert await exits() == {"a": (True, 5)}
    # the visitor comes back and navigates on: that leave (more time, no exit) decides
    await send(
        event("page_leave", view_id="a", time_on_page=8, exit=False, offset=-30),
        event(view_id="b", url=f"{ORIGIN}/obrigado", offset=-30),
    )
    assert await exits() == {"a": (False, 8), "b": (False, None)}
    await send(event("page_leave", view_id="b", time_on_page=12, exit=True, offset=-10))
    assert await exits() == {"a": (False, 8), "b": (True, 12)}
    # a late copy of the first page's exit: a page followed by another is never the exit
    await send(event("page_leave", view_id="a", time_on_page=5, exit=True, offset=-5))
    await send(event("page_leave", view_id="a", time_on_page=9, exit=True, offset=-5))
    assert await exits() == {"a": (False, 9), "b": (True, 12)}


async def test_timeline_and_journey_read_api_and_tenant_isolation(client, databases):
    site = await make_site(client, databases)
    sid = "s_" + "d" * 22
    await collect(
        client,
        batch(
            site,
            [
                event(url=f"{ORIGIN}/obrigado", view_id="p1b", offset=-7170),
                event(url=LANDING, view_id="p1", offset=-7200),
                event("click", url=LANDING, offset=-7190),
                event("page_leave", view_id="p1", time_on_page=30, offset=-7170),
            ],
            session_id=sid,
        ),
    )
    await collect(client, batch(site, [event(view_id="p2", offset=-60)], session_id=sid))
    timeline = (await client.get(f"/api/sessions/{sid}", headers=site.headers)).json()
    assert timeline["session"]["channel"] == "Paid Search"
    assert timeline["touches"][0]["gclid"] == "TEST123"
    # page views in the order they were seen (not as sent), with their time on page
    assert [
        (v["view_order"], v["page_url"].split("?")[0], v["time_on_page"])
        for v in timeline["page_views"]
    ] == [(1, f"{ORIGIN}/lp", 30), (2, f"{ORIGIN}/obrigado", None)]
    assert [e["event_type"] for e in timeline["events"]] == ["click"]
    journey = (await client.get(f"/api/journeys/{'v_' + 'b' * 22}", headers=site.headers)).json()
    assert journey["total_sessions"] == 2
    assert [s["session_id"] for s in journey["sessions"]] == [sid, f"{sid}.2"]
    assert [t["channel"] for t in journey["touches"]] == ["Paid Search", "Direct"]
    other = await make_site(client, databases)
    assert (await client.get(f"/api/sessions/{sid}", headers=other.headers)).status_code == 404
    assert (
        await client.get(f"/api/journeys/{'v_' + 'b' * 22}", headers=other.headers)
    ).status_code == 404
    assert (await client.get("/api/sessions/live", headers=other.headers)).json()["total"] == 0
    async with databases.bi.transaction(Scope.organization(other.account.organization_id)) as s:
        assert (await s.execute(text("SELECT count(*) FROM page_views"))).scalar() == 0
        assert (
            await s.execute(
                text(
                    "SELECT count(*) FROM "
                    + f"page_views_{__import__('datetime').date.today():%Y_%m}"
                )
            )
        ).scalar() == 0


async def test_pixel_records_a_page_view_without_javascript(client, databases):
    site = await make_site(client, databases)
    response = await client.get(
        "/api/collect/pixel.gif",
        params={"site": site.key, "url": f"{ORIGIN}/obrigado", "ref": "https://t.co/x"},
        headers={
            "user-agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    (view,) = await _rows(databases, site, PageView)
    assert view.page_url == f"{ORIGIN}/obrigado"
    (touch,) = await _rows(databases, site, UtmTracking)
    assert (touch.channel, touch.device) == ("Organic Social", "mobile")
    bad = await client.get("/api/collect/pixel.gif", params={"site": "rs_unknown"})
    assert bad.status_code == 401


async def test_counts_match_rows(client, databases):
    site = await make_site(client, databases)
    for n in range(3):
        await collect(
            client,
            batch(
                site, [event(), event("click", url=f"{ORIGIN}/lp")], session_id=f"s_count_{n:015d}"
            ),
        )
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
        sessions = await s.scalar(select(func.sum(TrackedSession.total_events)))
        events = await s.scalar(select(func.count()).select_from(Event))
    assert sessions == events == 3
    assert uuid


async def test_live_events_for_new_visitors_steps_and_departures(client, databases, settings, app):
    from datetime import UTC, datetime, timedelta

    from rastro.tracking.jobs import announce_offline

    published: list[tuple[str, str, dict]] = []

    class Hub:
        async def publish(self, organization_id, name, data):
            published.append((str(organization_id), name, data))

    app.state.live = Hub()
    try:
        site = await make_site(client, databases)
        org = str(site.account.organization_id)
        sid = "s_" + "e" * 22
        await collect(client, batch(site, [event(url=LANDING)], session_id=sid))
        await collect(client, batch(site, [event(url=f"{ORIGIN}/checkout")], session_id=sid))
        await collect(
            client, batch(site, [event("click", url=f"{ORIGIN}/checkout")], session_id=sid)
        )
        await collect(
            client, batch(site, [event()], session_id="s_bot_visit_00000001"), user_agent="curl/8.0"
        )
        failed = await collect(client, batch(site, [event()]), origin="https://evil.example.org")
        assert failed.status_code == 403
    finally:
        del app.state.live
    assert [(o, n) for o, n, _ in published] == [
        (org, "visitor_online"),
        (org, "visitor_step_change"),
    ]
    assert published[0][2]["channel"] == "Paid Search"
    assert published[1][2]["page_url"] == f"{ORIGIN}/checkout"

    offline: list[tuple[str, str, dict]] = []

    async def record(organization_id, name, data):
        offline.append((str(organization_id), name, data))

    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
            tracked = await s.get(TrackedSession, sid)
            last = tracked.last_activity_at
        minute = (last + timedelta(minutes=31)).replace(second=0, microsecond=0)
        counts = [
            await announce_offline(record, until=minute + timedelta(minutes=k)) for k in (-1, 0, 1)
        ]
    finally:
        set_job_context(None)
    assert sum(counts) == 1
    assert offline == [(org, "visitor_offline", {"session_id": sid})]
    assert datetime.now(UTC)


async def test_a_session_id_used_by_another_organization_gets_a_fresh_id_not_an_error(
    client, databases
):
    first = await make_site(client, databases)
    second = await make_site(client, databases)
    sid = "s_shared_id_0000001"
    assert (await collect(client, batch(first, [event()], session_id=sid))).json()[
        "session_id"
    ] == sid
    response = await collect(client, batch(second, [event()], session_id=sid))
    assert response.status_code == 200
    taken = response.json()["session_id"]
    assert taken.startswith(sid + ".")
    assert taken != sid
    again = await collect(client, batch(second, [event()], session_id=sid))
    assert again.json()["session_id"] == taken  # and it sticks for that visit
    (mine,) = await _rows(databases, first, TrackedSession)
    assert mine.total_page_views == 1


async def test_a_whatsapp_reference_code_finds_its_sessions(client, databases):
    """The tracker adds `[ref:XXXXXX]` (a session id's first 6 characters, upper-cased) to
    WhatsApp messages; the code leads back to the session and its attribution."""
    site = await make_site(client, databases)
    sid = "k7q2zx" + "a" * 18
    await collect(client, batch(site, [event(url=LANDING)], session_id=sid))
    await collect(client, batch(site, [event()], session_id="k7q2zy" + "b" * 18))
    found = await client.get("/api/sessions/by-ref/K7Q2ZX", headers=site.headers)
    assert found.status_code == 200, found.text
    assert [(s["session_id"], s["channel"]) for s in found.json()["items"]] == [
        (sid, "Paid Search")
    ]
    other = await make_site(client, databases)
    elsewhere = await client.get("/api/sessions/by-ref/K7Q2ZX", headers=other.headers)
    assert elsewhere.json()["total"] == 0
    for bad in ("K7Q2Z", "K7Q2ZX1", "K7Q-ZX"):
        response = await client.get(f"/api/sessions/by-ref/{bad}", headers=site.headers)
        assert response.status_code == 422, bad


async def test_a_reference_code_finds_sessions_whose_ids_hold_capitals(client, databases):
    """The tracker upper-cases the code, a client may send it in any case, and session ids
    may hold capitals: the code is compared without case on both sides, through the index
    (row-level security lets it serve only a plain `ref_code = $1`)."""
    site = await make_site(client, databases)
    sid = "QmX9aB" + "c" * 18
    await collect(client, batch(site, [event(url=LANDING)], session_id=sid))
    for code in ("QMX9AB", "qmx9ab", "QmX9aB"):
        found = await client.get(f"/api/sessions/by-ref/{code}", headers=site.headers)
        assert found.status_code == 200, found.text
        assert [s["session_id"] for s in found.json()["items"]] == [sid], code
    scope = Scope.organization(site.account.organization_id)
    async with databases.bi.transaction(scope) as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = await session.scalars(
            text("EXPLAIN SELECT session_id FROM sessions WHERE ref_code = :code"),
            {"code": "qmx9ab"},
        )
        assert "ix_sessions_ref_code" in "\n".join(plan)
