"""The funnel monitor's live events: a dashboard client joins one funnel of its
organization; page views of that funnel's public steps and its payments reach the
watchers of that funnel only (not another funnel's, not another organization's), and a
payment's event is sent only once its transaction commits."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import orjson
import psycopg
import pytest
from sqlalchemy import select

from rastro.core.db import Scope, libpq_url
from rastro.core.live import CHANNEL, publish_on_commit
from tests.core.test_live import Watcher, _token
from tests.funnels.builder import factories as b
from tests.funnels.payments import factories as f
from tests.tracking.factories import CHROME, ORIGIN, event


async def _funnel(http: httpx.AsyncClient, org: f.Org, slug: str) -> dict:
    funnel = await b.create_funnel(http, org, slug=slug)
    capture = await b.add_step(http, org, funnel["id"], "capture", slug="captura")
    checkout = await b.add_step(http, org, funnel["id"], "checkout", slug="checkout")
    return {"funnel": funnel, "capture": capture, "checkout": checkout}


async def _view(
    http: httpx.AsyncClient, site_key: str, url: str, session_id: str, agent: str = CHROME
) -> None:
    body = {
        "site": site_key,
        "session_id": session_id,
        "visitor_id": "v" + session_id[1:],
        "events": [event(url=url)],
    }
    response = await http.post(
        "/api/collect",
        content=orjson.dumps(body),
        headers={"content-type": "text/plain", "origin": ORIGIN, "user-agent": agent},
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1


async def _funnel_events(watcher: Watcher, wait: float = 1.5) -> list[tuple[str, dict]]:
    """The events that name a funnel, received within `wait` seconds."""
    seen = []
    try:
        while True:
            name, data = await watcher.next(wait)
            if isinstance(data, dict) and "funnel_id" in data:
                seen.append((name, data))
    except TimeoutError:
        return seen


async def _connected(base_url: str, account) -> Watcher:
    watcher = Watcher()
    await watcher.connect(base_url, await _token(base_url, account))
    assert (await watcher.next())[0] == "hello"
    return watcher


async def test_funnel_events_reach_only_that_funnels_watchers(live_server, databases):
    base = live_server.base_url
    async with httpx.AsyncClient(base_url=base) as http:
        org, other = await f.make_org(http, databases), await f.make_org(http, databases)
        await f.add_static_pix(http, org)
        domain = await http.post("/api/domains", headers=org.headers, json={"domain_url": ORIGIN})
        assert domain.status_code == 201, domain.text
        site_key = domain.json()["site_key"]
        x, y = await _funnel(http, org, "oferta-x"), await _funnel(http, org, "oferta-y")
        x_id, y_id = x["funnel"]["id"], y["funnel"]["id"]

        watch_x = await _connected(base, org.account)
        watch_y = await _connected(base, org.account)
        stranger = await _connected(base, other.account)
        try:
            assert await watch_x.client.call("join_funnel", {"funnel_id": x_id}) == {"ok": True}
            assert await watch_y.client.call("join_funnel", {"funnel_id": y_id}) == {"ok": True}
            # Another organization's funnel, a malformed id: refused, nothing joined.
            refused = await stranger.client.call("join_funnel", {"funnel_id": x_id})
            assert refused == {"ok": False, "error": {"code": "not_found"}}
            bad = await stranger.client.call("join_funnel", {"funnel_id": "x"})
            assert bad == {"ok": False, "error": {"code": "invalid_request"}}

            # A visitor lands on funnel X's capture page, then moves to its checkout.
            sid = "s" + uuid.uuid4().hex[:23]
            await _view(
                http, site_key, ORIGIN + x["capture"]["public_path"] + "?utm_source=fb", sid
            )
            await _view(http, site_key, ORIGIN + x["checkout"]["public_path"], sid)
            # A page outside any funnel, a bot on the funnel: nothing for the monitor.
            await _view(http, site_key, ORIGIN + "/blog/post", "s" + uuid.uuid4().hex[:23])
            bot = "s" + uuid.uuid4().hex[:23]
            await _view(http, site_key, ORIGIN + x["capture"]["public_path"], bot, "curl/8.0")

            # A payment of funnel X, then its confirmation by hand.
            payment = await f.create_payment(
                http, org, funnel_id=x_id, step_id=x["checkout"]["id"], session_id=sid
            )
            confirmed = await http.post(
                f"/api/payments/{payment['id']}/confirm", headers=org.headers
            )
            assert confirmed.status_code == 200, confirmed.text

            got_x = await _funnel_events(watch_x)
            assert [name for name, _ in got_x] == [
                "visitor_online",
                "visitor_step_change",
                "new_payment",
                "payment_status_change",
            ]
            online, moved, new, changed = (data for _, data in got_x)
            assert {d["funnel_id"] for _, d in got_x} == {x_id}
            assert online["step_id"] == x["capture"]["id"]
            assert online["source"] == "fb"
            assert moved["step_id"] == x["checkout"]["id"]
            assert moved["previous_step_id"] == x["capture"]["id"]
            assert moved["session_id"] == online["session_id"]
            assert new["status"] == "pending"
            assert new["amount"] == "97.00"
            assert new["payment_id"] == payment["id"]
            assert (changed["previous_status"], changed["status"]) == ("pending", "paid")

            assert await _funnel_events(watch_y, wait=0.5) == []
            assert await _funnel_events(stranger, wait=0.5) == []

            # Leaving the funnel: its events stop.
            assert await watch_x.client.call("leave_funnel", {"funnel_id": x_id}) == {"ok": True}
            await _view(http, site_key, ORIGIN + x["capture"]["public_path"], sid)
            assert await _funnel_events(watch_x, wait=0.5) == []

            # The session moves to funnel Y: Y hears it arrive.
            await _view(http, site_key, ORIGIN + y["capture"]["public_path"], sid)
            got_y = await _funnel_events(watch_y)
            assert [(n, d["funnel_id"]) for n, d in got_y] == [("visitor_online", y_id)]

            # The monitor's snapshot (what a client reads again after reconnecting).
            snapshot = await http.get(f"/api/funnels/{y_id}/monitor", headers=org.headers)
            assert snapshot.status_code == 200, snapshot.text
            body = snapshot.json()
            assert body["online"] == 1
            assert [s["online"] for s in body["steps"]] == [1, 0]
            assert body["visitors"][0]["step_id"] == y["capture"]["id"]
            x_snapshot = (
                await http.get(f"/api/funnels/{x_id}/monitor", headers=org.headers)
            ).json()
            assert x_snapshot["online"] == 0
            assert [p["status"] for p in x_snapshot["payments"]] == ["paid"]
            assert x_snapshot["today"]["paid"] == 1
            assert x_snapshot["today"]["revenue"] == "97.00"
            # The visits the page views recorded are what the funnel report counts.
            report = await http.get(
                f"/api/analytics/funnels/{x_id}", headers=org.headers, params={"preset": "today"}
            )
            assert report.status_code == 200, report.text
            figures = report.json()
            assert [s["visitors"] for s in figures["steps"]] == [1, 1]
            assert [r["value"] for r in figures["breakdown"]] == ["fb"]
            assert (figures["checkout"]["pix_generated"], figures["checkout"]["paid"]) == (1, 1)
            foreign = await http.get(f"/api/funnels/{x_id}/monitor", headers=other.headers)
            assert foreign.status_code == 404
            assert foreign.json()["error"]["code"] == "not_found"
        finally:
            for watcher in (watch_x, watch_y, stranger):
                await watcher.client.disconnect()


async def test_an_event_written_in_a_transaction_is_sent_only_if_it_commits(settings, databases):
    conninfo = libpq_url(settings.crm_database_url)
    organization_id = uuid.uuid4()
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as listener:
        await listener.execute(f"LISTEN {CHANNEL}")
        scope = Scope.organization(organization_id)

        async def rolled_back() -> None:
            async with databases.crm.transaction(scope) as session:
                await publish_on_commit(session, organization_id, "new_payment", {"n": 1})
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await rolled_back()
        async with databases.crm.transaction(scope) as session:
            await publish_on_commit(session, organization_id, "new_payment", {"n": 2})
        notifications = []

        async def receive() -> None:
            async for notify in listener.notifies():
                notifications.extend(orjson.loads(notify.payload))

        with pytest.raises(TimeoutError):
            await asyncio.wait_for(receive(), 1)
    assert [(m["event"], m["data"], m["room"]) for m in notifications] == [
        ("new_payment", [{"n": 2}], f"org:{organization_id}")
    ]


async def test_a_visitor_going_offline_is_announced_to_its_funnel(client, databases, settings):
    from rastro.core.jobs import JobContext, set_job_context
    from rastro.tracking.jobs import announce_offline
    from rastro.tracking.models import TrackedSession

    org = await f.make_org(client, databases)
    domain = await client.post("/api/domains", headers=org.headers, json={"domain_url": ORIGIN})
    x = await _funnel(client, org, "oferta-x")
    sid = "s" + uuid.uuid4().hex[:23]
    await _view(client, domain.json()["site_key"], ORIGIN + x["capture"]["public_path"], sid)
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        (tracked,) = (await bi.scalars(select(TrackedSession))).all()
    assert (str(tracked.funnel_id), str(tracked.current_step_id)) == (
        x["funnel"]["id"],
        x["capture"]["id"],
    )
    published: list[tuple] = []

    async def record(organization_id, event, data, *, topic=None):
        published.append((organization_id, event, data, topic))

    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        idle = (tracked.last_activity_at + timedelta(minutes=31)).replace(second=0, microsecond=0)
        await announce_offline(record, until=idle)
    finally:
        set_job_context(None)
    funnel_id = uuid.UUID(x["funnel"]["id"])
    assert published == [
        (org.id, "visitor_offline", {"session_id": tracked.session_id}, None),
        (
            org.id,
            "visitor_offline",
            {
                "session_id": tracked.session_id,
                "funnel_id": x["funnel"]["id"],
                "step_id": x["capture"]["id"],
            },
            ("funnel", funnel_id),
        ),
    ]


async def test_a_returning_visitors_page_leaves_the_move_to_its_page_view(live_server, databases):
    """A page opened with the tracker's session cookie writes nothing: its page view
    moves the session, so the watchers hear the step it came from, and the funnel it
    left hears it go."""
    base = live_server.base_url
    async with httpx.AsyncClient(base_url=base) as http:
        org = await f.make_org(http, databases)
        domain = await http.post("/api/domains", headers=org.headers, json={"domain_url": ORIGIN})
        site_key = domain.json()["site_key"]
        x, y = await _funnel(http, org, "oferta-x"), await _funnel(http, org, "oferta-y")
        watch_x = await _connected(base, org.account)
        watch_y = await _connected(base, org.account)
        try:
            for watcher, made in ((watch_x, x), (watch_y, y)):
                joined = await watcher.client.call(
                    "join_funnel", {"funnel_id": made["funnel"]["id"]}
                )
                assert joined == {"ok": True}
            sid = "s" + uuid.uuid4().hex[:23]
            await _view(http, site_key, ORIGIN + x["capture"]["public_path"], sid)
            # The buyer's browser asks for each page (with the cookie), then the tracker
            # sends its page view.
            for made, step in ((x, "checkout"), (y, "capture")):
                page = await http.get(
                    made[step]["public_path"], headers={"cookie": f"_rastro_s={sid}"}
                )
                assert page.status_code in (200, 503)  # (X's checkout has no offer yet)
                await _view(http, site_key, ORIGIN + made[step]["public_path"], sid)
            got_x = [
                (name, data["step_id"], data.get("previous_step_id"))
                for name, data in await _funnel_events(watch_x)
            ]
            assert got_x == [
                ("visitor_online", x["capture"]["id"], None),
                ("visitor_step_change", x["checkout"]["id"], x["capture"]["id"]),
                ("visitor_offline", None, None),
            ]
            got_y = [(name, data["step_id"]) for name, data in await _funnel_events(watch_y)]
            assert got_y == [("visitor_online", y["capture"]["id"])]
        finally:
            for watcher in (watch_x, watch_y):
                await watcher.client.disconnect()
