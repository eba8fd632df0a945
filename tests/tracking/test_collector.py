"""The collector: storage, enrichment, deduplication and bad input (sessions: test_collector_sessions.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

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
