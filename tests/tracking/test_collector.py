"""The collector: storage, enrichment, deduplication, session rules and bad input."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text

from rastro.core.db import SYSTEM, Scope
from rastro.core.jobs import JobContext, set_job_context
from rastro.tracking.jobs import forget_event_ids_now
from rastro.tracking.models import Event, PageView, TrackedSession, UtmTracking, VisitorJourney
from tests.tracking.factories import CHROME, ORIGIN, batch, collect, event, make_site

LANDING = f"{ORIGIN}/lp?utm_source=google&utm_medium=cpc&utm_campaign=bf&gclid=TEST123&matchtype=e&promo=10"


async def _rows(databases, site, model, *where):
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
        return list(await s.scalars(select(model).where(*where)))


async def test_a_visit_is_stored_with_its_touch_page_views_and_events(client, databases):
    site = await make_site(client, databases)
    view1 = event(
        url=LANDING,
        referrer="https://www.google.com/",
        title="Black Friday",
        view_id="pv1",
        offset=-60,
    )
    click = event(
        "click",
        offset=-50,
        url=LANDING,
        label="Comprar",
        element_id="buy",
        element_class="btn cta",
        view_id="pv1",
    )
    view2 = event(url=f"{ORIGIN}/checkout", referrer=LANDING, view_id="pv2", offset=-40)
    leave1 = event("page_leave", offset=-40, view_id="pv1", time_on_page=20, exit=False)
    scroll = event("scroll", offset=-30, value=75, url=f"{ORIGIN}/checkout", view_id="pv2")
    response = await collect(client, batch(site, [view1, click, view2, leave1, scroll]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (5, 0, 0)
    assert response.headers["access-control-allow-origin"] == ORIGIN

    (tracked,) = await _rows(databases, site, TrackedSession)
    assert tracked.session_id == "s_" + "a" * 22
    assert (tracked.total_page_views, tracked.total_events) == (2, 2)
    assert tracked.channel == "Paid Search"
    assert tracked.is_bot is False
    (touch,) = await _rows(databases, site, UtmTracking)
    assert (touch.utm_source, touch.utm_medium, touch.utm_campaign, touch.gclid) == (
        "google",
        "cpc",
        "bf",
        "TEST123",
    )
    assert touch.channel == "Paid Search"
    assert touch.match_type == "exact"
    assert touch.url_params == {"matchtype": "e", "promo": "10"}
    assert touch.device == "desktop"
    assert str(touch.client_ip) == "203.0.113.7"
    assert touch.referrer == "https://www.google.com/"
    assert touch.user_agent == CHROME
    assert tracked.started_at == touch.created_at
    assert round(tracked.last_activity_at.timestamp() * 1000) == scroll["ts"]  # the last event
    assert {k: tracked.metadata_[k] for k in ("screen", "language", "browser", "os")} == {
        "screen": "1920x1080",
        "language": "pt-BR",
        "browser": "Chrome",
        "os": "Windows",
    }
    views = sorted(await _rows(databases, site, PageView), key=lambda v: v.view_order)
    assert [(v.view_order, v.page_url.split("?")[0]) for v in views] == [
        (1, f"{ORIGIN}/lp"),
        (2, f"{ORIGIN}/checkout"),
    ]
    assert (views[0].time_on_page, views[0].exit_page) == (20, False)
    events = {e.event_type: e for e in await _rows(databases, site, Event)}
    assert set(events) == {"click", "scroll"}
    assert (events["click"].event_label, events["click"].element_id) == ("Comprar", "buy")
    assert events["scroll"].event_value == 75
    (journey,) = await _rows(databases, site, VisitorJourney)
    assert (journey.total_sessions, journey.total_page_views) == (1, 2)


async def test_retried_batches_are_stored_once(client, databases):
    site = await make_site(client, databases)
    body = batch(site, [event(), event("click", url=f"{ORIGIN}/lp")])
    first = (await collect(client, body)).json()
    again = (await collect(client, body)).json()
    assert first["accepted"] == 2
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    (tracked,) = await _rows(databases, site, TrackedSession)
    assert (tracked.total_page_views, tracked.total_events) == (1, 1)
    assert len(await _rows(databases, site, PageView)) == 1
    # the same id twice inside one batch counts once
    twice = event("click", url=f"{ORIGIN}/lp")
    dup = (await collect(client, batch(site, [twice, dict(twice)]))).json()
    assert [r["status"] for r in dup["results"]] == ["stored", "duplicate"]


async def test_an_event_id_is_stored_once_whatever_timestamp_it_claims(client, databases):
    site = await make_site(client, databases)
    view = event(offset=-20)
    click = event("click", url=f"{ORIGIN}/lp", offset=-10)
    first = (await collect(client, batch(site, [view, click]))).json()
    assert first["accepted"] == 2
    # the same ids again, 5 s later by the client's clock
    later = [{**view, "ts": view["ts"] + 5000}, {**click, "ts": click["ts"] + 5000}]
    again = (await collect(client, batch(site, later))).json()
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert len(await _rows(databases, site, Event)) == 1
    assert len(await _rows(databases, site, PageView)) == 1
    (tracked,) = await _rows(databases, site, TrackedSession)
    assert (tracked.total_page_views, tracked.total_events) == (1, 1)


async def test_an_event_id_is_stored_once_across_monthly_partitions(client, databases):
    site = await make_site(client, databases)
    click = event("click", url=f"{ORIGIN}/lp")
    assert (await collect(client, batch(site, [event(), click]))).json()["accepted"] == 2
    # The stored click now lies in last month's partition (as if the client had claimed a
    # time there): a retry claiming today's time must still find it.
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
        moved = await s.execute(
            text(
                "UPDATE events SET created_at = date_trunc('month', now()) - interval '1 day'"
                " WHERE event_id = :id"
            ),
            {"id": click["event_id"]},
        )
        assert moved.rowcount == 1
    again = (await collect(client, batch(site, [{**click, "ts": click["ts"] + 1000}]))).json()
    assert [r["status"] for r in again["results"]] == ["duplicate"]
    assert len(await _rows(databases, site, Event)) == 1


async def test_a_page_view_id_is_stored_once_even_when_its_retry_starts_a_new_session(
    client, databases
):
    site = await make_site(client, databases)
    view = event(offset=-40 * 60)
    assert (await collect(client, batch(site, [view]))).json()["accepted"] == 1
    # 40 minutes later by the client's clock: a new session, but the same page view
    again = (await collect(client, batch(site, [{**view, "ts": view["ts"] + 40 * 60_000}]))).json()
    assert [r["status"] for r in again["results"]] == ["duplicate"]
    assert len(await _rows(databases, site, PageView)) == 1


async def test_event_ids_are_remembered_per_organization_and_forgotten_after_a_month(
    client, databases, settings
):
    site = await make_site(client, databases)
    other = await make_site(client, databases)
    click = event("click", url=f"{ORIGIN}/lp")
    assert (await collect(client, batch(site, [event(), click]))).json()["accepted"] == 2
    # another organization's site sending the same id (at another time: `events`' own key
    # is the id and the time, across organizations) stores its own event
    theirs = {**click, "ts": click["ts"] + 1000}
    assert (await collect(client, batch(other, [event(), theirs]))).json()["accepted"] == 2
    async with databases.bi.transaction(SYSTEM) as s:
        await s.execute(
            text("UPDATE event_ids SET seen_at = now() - interval '31 days' WHERE event_id = :id"),
            {"id": click["event_id"]},
        )
    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        assert await forget_event_ids_now() >= 2
    finally:
        set_job_context(None)
    async with databases.bi.transaction(SYSTEM) as s:
        left = await s.scalar(
            text("SELECT count(*) FROM event_ids WHERE event_id = :id"), {"id": click["event_id"]}
        )
    assert left == 0


async def test_one_bad_event_does_not_reject_its_neighbours(client, databases):
    site = await make_site(client, databases)
    good = event()
    bad = [
        (event(offset=2 * 3600), "timestamp_out_of_range"),
        (event(offset=-8 * 86400), "timestamp_out_of_range"),
        (event("click", label="x" * 10_000), "label_too_long"),
        (event("click", label="nul\x00byte"), "invalid_label"),
        (event("teleport"), "unknown_type"),
        ({**event(), "event_id": "not-a-uuid"}, "invalid_event_id"),
        ({**event(), "ts": "yesterday"}, "invalid_timestamp"),
        (event(url="javascript:alert(1)"), "invalid_url"),
        (event("click", value="NaN"), "invalid_value"),
        (event("page_leave", view_id="x", time_on_page=-5), "invalid_time_on_page"),
        ("just a string", "not_an_object"),
    ]
    xss = event(
        "click", label="<script>alert('x')</script>", element_class='"><img src=x onerror=alert(1)>'
    )
    response = await collect(client, batch(site, [good, *[b for b, _ in bad], xss]))
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["status"] == "stored"
    assert [(r["status"], r["reason"]) for r in results[1:-1]] == [
        ("rejected", reason) for _, reason in bad
    ]
    assert results[-1]["status"] == "stored"  # stored as text; the dashboard escapes it
    stored = await _rows(databases, site, Event)
    assert [e.event_label for e in stored] == ["<script>alert('x')</script>"]


async def test_values_postgresql_cannot_hold_are_refused_or_cleaned_not_a_500(client, databases):
    """Column sizes, NUL characters (which neither text nor jsonb holds) and oversized
    `data` are per-event rejections; NULs in the landing URL or stored touches are dropped."""
    site = await make_site(client, databases)
    good = event(url=f"{ORIGIN}/lp?utm_source=goo%00gle&promo=1%002")
    bad = [
        (event("click", category="c" * 256), "category_too_long"),
        (event("click", action="a" * 256), "action_too_long"),
        (event("click", element_id="e" * 256), "element_id_too_long"),
        (event("click", view_id="v" * 65), "view_id_too_long"),
        (event("click", data={"note": "nul\x00"}), "invalid_data"),
        (event("click", data={"k\x00": 1}), "invalid_data"),
        (event("click", data={"blob": "x" * 9000}), "data_too_long"),
    ]
    fine = event("click", category="c" * 255, element_id="e" * 255, view_id="v" * 64)
    body = batch(site, [good, *[b for b, _ in bad], fine])
    body["touch"] = {"last": {"fbc": "fb.1.1.abc\x00", "utm_source\x00": "x\x00y"}}
    response = await collect(client, body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("stored", None),
        *[("rejected", reason) for _, reason in bad],
        ("stored", None),
    ]
    (touch,) = await _rows(databases, site, UtmTracking)
    assert (touch.utm_source, touch.url_params, touch.fbc) == (
        "google",
        {"promo": "12"},
        "fb.1.1.abc",
    )
    (tracked,) = await _rows(databases, site, TrackedSession)
    assert tracked.metadata_["stored_touch"]["last"] == {"fbc": "fb.1.1.abc", "utm_source": "xy"}
    (stored,) = await _rows(databases, site, Event)
    assert (stored.event_category, stored.element_id) == ("c" * 255, "e" * 255)


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, "bad_request"),
        (b'{"site": "x", "events": [{"label": "\xff\xfe"}]}', 400, "bad_request"),
        (b"[1, 2]", 400, "bad_request"),
        (b'{"site": "rs_x", "events": []}', 400, "bad_request"),
    ],
)
async def test_malformed_bodies_are_4xx(client, databases, raw, status, code):
    response = await collect(client, None, raw=raw)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


async def test_the_collector_route_keeps_the_api_contract(client, databases):
    """The collector runs on a plain route; errors, CORS, request ids and docs stay."""
    preflight = await client.options("/api/collect", headers={"origin": ORIGIN})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["access-control-allow-methods"] == "POST, OPTIONS"
    wrong_method = await client.put("/api/collect")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    refused = await collect(client, {"site": "rs_nope", "events": [event()]})
    assert refused.json()["error"]["code"] == "unknown_site"
    assert len(refused.headers["x-request-id"]) == 32
    site = await make_site(client, databases)
    stored = await collect(client, batch(site, [event()]))
    assert stored.headers["cache-control"] == "no-store"
    assert len(stored.headers["x-request-id"]) == 32
    operation = (await client.get("/api/openapi.json")).json()["paths"]["/api/collect"]["post"]
    assert operation["tags"] == ["collector"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CollectResponse"
    }


async def test_batch_limits(client, databases):
    site = await make_site(client, databases)
    too_many = await collect(client, batch(site, [event() for _ in range(501)]))
    assert too_many.status_code == 413
    assert too_many.json()["error"]["code"] == "batch_too_large"
    huge = await collect(client, batch(site, [event(title="x" * 1_100_000)]))
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "payload_too_large"
    assert await _rows(databases, site, TrackedSession) == []


async def test_unknown_disabled_and_foreign_sites_are_refused_and_nothing_is_written(
    client, databases
):
    site = await make_site(client, databases)
    unknown = await collect(client, {**batch(site, [event()]), "site": "rs_nope"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (401, "unknown_site")
    foreign = await collect(client, batch(site, [event()]), origin="https://evil.example.org")
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (403, "origin_not_allowed")
    assert "access-control-allow-origin" not in foreign.headers
    www = await collect(client, batch(site, [event()]), origin="https://www.loja.example.com.br")
    assert www.status_code == 200
    await client.patch(
        f"/api/domains/{site.domain['domain_id']}", headers=site.headers, json={"is_active": False}
    )
    disabled = await collect(client, batch(site, [event()], session_id="s_other_session_123"))
    assert disabled.status_code == 401
    assert len(await _rows(databases, site, TrackedSession)) == 1


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

    from rastro.core.jobs import JobContext, set_job_context
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
