"""The closed loop in a real browser (issue 15, "done when"): a visitor lands from a Meta ad
(fbclid), returns days later through a Google ad (gclid) in the same browser, leaves a
lead, and the lead is won. The Google conversion carries the gclid and the Meta conversion
the fbc of the Meta click — each platform its own click from the whole journey, although
reporting credits the first (Meta) touch — and the conversion page shows, per platform,
which touch's click was used.

Chromium drives the landing page (a fake site on 127.0.0.1 carrying `/t.js`); the "days
later" is simulated by moving the stored touch times back; the conversions queue is
drained in a thread, as `rastro worker` would; Meta and Google are the local fakes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, expect
from starlette.requests import Request
from starlette.responses import HTMLResponse

from rastro.core.db import libpq_url
from tests.conversions.factories import DATASET_ID, META_TOKEN
from tests.conversions.google_setup import ACTION_ID, CUSTOMER_ID, TOKEN
from tests.e2e.browser import DESKTOP_CHROME_UA, Shots, Watched, login, new_context, visit
from tests.e2e.test_crm_pages import api_token
from tests.e2e.test_tracker import _wait_for
from tests.fakes.base import FakeServer, RecordedRequest
from tests.fakes.google_data_manager import FakeDataManager
from tests.fakes.meta import FakeMeta
from tests.helpers import drain_jobs_in_thread

pytestmark = pytest.mark.e2e

FBCLID = "IwAR2F4-e2eMetaClick-dbP0l7Mn1IawQQGCINEz7PYXQ"
GCLID = "Cj0KCQjwE2EgoogleClickAbc123"
META_LANDING = (
    "/lp?utm_source=facebook&utm_medium=paid_social&utm_campaign=bf-video&fbclid=" + FBCLID
)
GOOGLE_LANDING = "/lp?utm_source=google&utm_medium=cpc&utm_campaign=natal-search&gclid=" + GCLID

PAGE = """<!doctype html>
<html><head><title>Kit Verão</title>
<script defer src="{rastro}/t.js" data-site="{site}"></script>
</head><body>
<h1>Kit Verão</h1>
<form id="lead" data-rastro-form onsubmit="event.preventDefault();">
  <input name="email" type="email">
  <button type="submit">Enviar</button>
</form>
</body></html>"""


@pytest.fixture
def landing(live_server: Any) -> Iterator[FakeServer]:
    holder: dict[str, str] = {}

    async def page(_request: Request, _recorded: RecordedRequest) -> HTMLResponse:
        return HTMLResponse(PAGE.format(rastro=live_server.base_url, site=holder["site"]))

    server = FakeServer(page).start()
    server.holder = holder  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def meta() -> Iterator[FakeMeta]:
    server = FakeMeta(META_TOKEN, DATASET_ID).start()
    yield server
    server.stop()


@pytest.fixture
def data_manager() -> Iterator[FakeDataManager]:
    server = FakeDataManager(TOKEN, CUSTOMER_ID, actions=(ACTION_ID,)).start()
    yield server
    server.stop()


def _bi(live_server: Any, sql: str, *args: Any) -> list[Any]:
    with psycopg.connect(libpq_url(live_server.settings.bi_database_url), autocommit=True) as conn:
        conn.execute("SELECT set_config('rastro.scope', 'system', false)")
        cursor = conn.execute(sql, args)
        return cursor.fetchall() if cursor.description else []


def _drain_conversions(settings: Any) -> None:
    """Run the queued conversion syncs to completion (the browser's thread owns its loop)."""
    drain_jobs_in_thread(settings, ["conversions"])


def _setup(base: str, headers: dict[str, str], origin: str, meta: FakeMeta, google: str) -> str:
    with httpx.Client(base_url=base, headers=headers, timeout=15) as http:
        site = http.post("/api/domains", json={"domain_url": origin, "allowed_origins": [origin]})
        assert site.status_code == 201, site.text
        for body in (
            {
                "name": "Meta",
                "service": "meta",
                "api_key": META_TOKEN,
                "api_url": meta.url,
                "settings": {"pixel_id": DATASET_ID},
            },
            {
                "name": "Google",
                "service": "google_ads",
                "api_key": TOKEN,
                "api_url": google,
                "settings": {"customer_id": CUSTOMER_ID, "conversion_action_id": ACTION_ID},
            },
        ):
            created = http.post("/api/credentials", json=body)
            assert created.status_code == 201, created.text
        return str(site.json()["site_key"])


def test_meta_click_google_return_lead_won_each_platform_its_click(
    live_server: Any,
    seeded_admin: Any,
    landing: FakeServer,
    meta: FakeMeta,
    data_manager: FakeDataManager,
    browser: Browser,
    shot: Shots,
) -> None:
    base = live_server.base_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    auth = {"Authorization": f"Bearer {token}"}
    origin = landing.url
    landing.holder["site"] = _setup(base, auth, origin, meta, data_manager.url)  # type: ignore[attr-defined]

    # --- the journey: a Meta click, then a Google click in the same browser -------------
    context = new_context(browser, user_agent=DESKTOP_CHROME_UA)
    page = context.new_page()
    watched = Watched(page)
    page.goto(origin + META_LANDING)
    page.wait_for_function("() => window.rastro && typeof window.rastro.ids === 'function'")
    first = page.evaluate("() => window.rastro.ids()")
    page.wait_for_timeout(800)
    page.goto(origin + GOOGLE_LANDING)
    page.wait_for_function("() => window.rastro && typeof window.rastro.ids === 'function'")
    ids = page.evaluate("() => window.rastro.ids()")
    assert ids["visitor_id"] == first["visitor_id"]  # one browser, one visitor
    assert ids["session_id"] != first["session_id"]  # a new campaign, a new session
    page.fill("input[name=email]", "jane.loop@example.com")
    page.click("button[type=submit]")
    fields = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#lead input[type=hidden]')]"
        ".map(i => [i.name, i.value]))"
    )
    watched.check()
    page.close()
    context.close()

    touches_sql = "SELECT tracking_id, fbclid, gclid, fbc FROM utm_tracking ORDER BY created_at"

    def collected() -> list[Any] | None:
        rows = [t for t in _bi(live_server, touches_sql) if t[1] or t[2]]
        return rows if len(rows) == 2 else None

    touches = _wait_for(collected)
    assert touches, "the two touches were not collected"
    (meta_touch,) = [t for t in touches if t[1] == FBCLID]
    (google_touch,) = [t for t in touches if t[2] == GCLID]
    meta_fbc = meta_touch[3]
    assert meta_fbc
    assert meta_fbc.endswith("." + FBCLID)
    # "Days later": the Meta click 6 days ago, the Google return 2 days ago.
    now = datetime.now(UTC)
    for tracking_id, when in (
        (meta_touch[0], now - timedelta(days=6)),
        (google_touch[0], now - timedelta(days=2)),
    ):
        _bi(
            live_server,
            "UPDATE utm_tracking SET created_at = %s WHERE tracking_id = %s",
            when,
            tracking_id,
        )

    # --- the lead (the form's handler posts what the tracker filled in), then won -------
    lead = httpx.post(
        f"{base}/api/leads",
        headers={"origin": origin},
        json={"site": landing.holder["site"], "email": "jane.loop@example.com", **fields},  # type: ignore[attr-defined]
        timeout=15,
    )
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["lead_id"]
    won = httpx.post(
        f"{base}/api/leads/{lead_id}/stages",
        headers=auth,
        json={"stage_name": "won", "stage_value": "1500.00"},
        timeout=15,
    )
    assert won.status_code == 201, won.text
    _drain_conversions(live_server.settings)

    # --- what the platforms got ------------------------------------------------------
    (google_event,) = data_manager.accepted
    assert google_event["adIdentifiers"] == {"gclid": GCLID}
    (meta_event,) = meta.accepted
    assert meta_event["user_data"]["fbc"] == meta_fbc
    conversions = httpx.get(f"{base}/api/conversions", headers=auth, timeout=15).json()
    (conversion,) = conversions["items"]
    assert conversion["sync_status"]["google"] == "sent"
    assert conversion["sync_status"]["meta"] == "sent"
    # Reporting still credits the first touch.
    assert conversion["original_tracking_id"] == str(meta_touch[0])
    assert conversion["campaign"] == "bf-video"

    # --- the conversion page shows which touch's click each platform got -------------
    view = new_context(browser)
    try:
        page = view.new_page()
        watched = Watched(page)
        login(page, base, seeded_admin.email, seeded_admin.password)
        visit(page, base, f"/conversions/{conversion['conversion_id']}")
        main = page.locator("main")
        google_row = main.locator("[data-testid=delivery-row][data-platform=google]")
        expect(google_row.locator("[data-testid=platform-chip]")).to_have_text(
            re.compile("Enviada")
        )
        google_click = google_row.locator("[data-testid=used-click]")
        expect(google_click).to_contain_text("google / cpc / natal-search")
        expect(google_click).to_contain_text("gclid=Cj0KCQ…c123")
        expect(google_click).to_contain_text("não o toque creditado")
        meta_click = main.locator(
            "[data-testid=delivery-row][data-platform=meta] [data-testid=used-click]"
        )
        expect(meta_click).to_contain_text("facebook / paid_social / bf-video")
        expect(meta_click).to_contain_text("fbc=fb.1.")
        expect(meta_click).to_contain_text("O toque creditado")
        shot(page, "conversion-clicks")
        watched.check()
    finally:
        view.close()
