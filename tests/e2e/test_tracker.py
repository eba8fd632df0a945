"""The tracker in a real browser: Debian's Chromium loads a landing page (its own origin,
127.0.0.1 on another port) carrying `/t.js` from Rastro, navigates SPA-style, scrolls,
clicks a marked button and submits a form; the database then holds the visit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse

from rastro.core.db import libpq_url
from tests.e2e.browser import ARTIFACTS, DESKTOP_CHROME_UA, Watched, new_context
from tests.fakes.base import FakeServer, RecordedRequest

pytestmark = pytest.mark.e2e

PAGE = """<!doctype html>
<html><head><title>Oferta Black Friday</title>
<script defer src="{rastro}/t.js" data-site="{site}"></script>
<style>body {{ min-height: 3000px; font-family: sans-serif; }}</style>
</head><body>
<h1 id="headline">Kit Verão</h1>
<button id="buy" data-rastro-click="Comprar agora" onclick="history.pushState({{}}, '', '/checkout'); document.title='Checkout';">Comprar</button>
<form id="lead" onsubmit="event.preventDefault(); document.body.dataset.sent = '1';">
  <input name="email" type="email">
  <input type="hidden" name="rastro_session_id">
  <input type="hidden" name="rastro_visitor_id">
  <input type="hidden" name="utm_source">
  <input type="hidden" name="utm_campaign">
  <input type="hidden" name="gclid">
  <button id="send" type="submit">Enviar</button>
</form>
</body></html>"""


@pytest.fixture
def landing(live_server) -> Iterator[FakeServer]:
    holder: dict[str, str] = {}

    async def page(_request: Request, _recorded: RecordedRequest) -> HTMLResponse:
        return HTMLResponse(PAGE.format(rastro=live_server.base_url, site=holder["site"]))

    server = FakeServer(page).start()
    server.holder = holder  # type: ignore[attr-defined]
    yield server
    server.stop()


def _site_key(live_server, seeded_admin, origin: str) -> str:
    with httpx.Client(base_url=live_server.base_url) as http:
        token = http.post(
            "/api/auth/login", json={"email": seeded_admin.email, "password": seeded_admin.password}
        ).json()["access_token"]
        response = http.post(
            "/api/domains",
            headers={"Authorization": f"Bearer {token}"},
            json={"domain_url": origin, "allowed_origins": [origin]},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["site_key"])


def _query(live_server, sql: str, *args):
    with psycopg.connect(libpq_url(live_server.settings.bi_database_url), autocommit=True) as conn:
        conn.execute("SELECT set_config('rastro.scope', 'system', false)")
        return conn.execute(sql, args).fetchall()


def _wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_a_visit_is_tracked_end_to_end_in_chromium(live_server, seeded_admin, landing, browser):
    origin = landing.url
    landing.holder["site"] = _site_key(live_server, seeded_admin, origin)
    url = f"{origin}/lp?utm_source=google&utm_medium=cpc&utm_campaign=bf&gclid=TEST123"
    context = new_context(browser, user_agent=DESKTOP_CHROME_UA)  # not flagged as a bot
    page = context.new_page()
    watched = Watched(page)
    page.goto(url)
    page.wait_for_function("() => window.rastro && typeof window.rastro.ids === 'function'")
    page.wait_for_timeout(1500)  # time on the first page
    page.click("#buy")  # marked click + SPA navigation to /checkout
    page.wait_for_timeout(700)
    page.mouse.wheel(0, 3000)  # scroll to the bottom of the second page
    page.wait_for_timeout(500)
    page.fill("input[name=email]", "ana@example.com.br")
    page.click("#send")
    page.wait_for_timeout(300)
    ids = page.evaluate("() => window.rastro.ids()")
    fields = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#lead input[type=hidden]')]"
        ".map(i => [i.name, i.value]))"
    )
    page.screenshot(path=str(ARTIFACTS / "test_tracker-landing.png"), full_page=True)
    watched.check()
    page.close()  # pagehide: the last page_leave goes out with sendBeacon
    context.close()

    assert fields["rastro_session_id"] == ids["session_id"]
    assert fields["rastro_visitor_id"] == ids["visitor_id"]
    assert (fields["utm_source"], fields["utm_campaign"], fields["gclid"]) == (
        "google",
        "bf",
        "TEST123",
    )

    sessions = _wait_for(
        lambda: _query(
            live_server,
            "SELECT session_id, channel, is_bot, total_page_views FROM sessions WHERE client_session_id = %s",
            ids["session_id"],
        )
    )
    assert len(sessions) == 1
    session_id, channel, is_bot, _ = sessions[0]
    assert (channel, is_bot) == ("Paid Search", False)
    touches = _query(
        live_server,
        "SELECT gclid, channel, utm_source, utm_campaign FROM utm_tracking WHERE session_id = %s",
        session_id,
    )
    assert touches == [("TEST123", "Paid Search", "google", "bf")]
    views_sql = (
        "SELECT view_order, page_url, time_on_page, exit_page FROM page_views"
        " WHERE session_id = %s ORDER BY view_order"
    )
    # the second page's leave comes last, by beacon, when the page goes away
    _wait_for(lambda: all(row[2] is not None for row in _query(live_server, views_sql, session_id)))
    views = _query(live_server, views_sql, session_id)
    assert [(v[0], v[1].split("?")[0]) for v in views] == [
        (1, f"{origin}/lp"),
        (2, f"{origin}/checkout"),
    ]
    assert views[0][2] >= 1  # seconds on the landing page before the SPA navigation
    assert views[1][2] >= 1  # seconds on the second page: scroll, form, submit
    assert [v[3] for v in views] == [False, True]  # the second page is the exit page
    events_sql = "SELECT event_type, event_label FROM events WHERE session_id = %s"
    _wait_for(
        lambda: any(r[0] == "form_submit" for r in _query(live_server, events_sql, session_id))
    )
    events = {row[0]: row[1] for row in _query(live_server, events_sql, session_id)}
    assert events["click"] == "Comprar agora"
    assert {"click", "scroll", "form_start", "form_submit"} <= set(events)
