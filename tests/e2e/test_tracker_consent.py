"""Consent changed mid-session in a real browser (issue 22): Chromium loads a landing page
of a site in consent mode `required`; the visitor consents, withdraws (cookies deleted,
the form's hidden ids and campaign fields emptied, its consent `none`, nothing sent), then consents
again: the database holds one session, the events before and after the withdrawal and
none of those in between, and the session's consent as last given, with the change."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse

from tests.e2e.browser import DESKTOP_CHROME_UA, Watched, new_context
from tests.e2e.test_tracker import _query, _wait_for
from tests.fakes.base import FakeServer, RecordedRequest

pytestmark = pytest.mark.e2e

PAGE = """<!doctype html>
<html><head><title>Oferta</title>
<script defer src="{rastro}/t.js" data-site="{site}" data-require-consent></script>
</head><body>
<form id="lead" data-rastro-form onsubmit="event.preventDefault()">
  <input name="email" type="email">
</form>
</body></html>"""


@pytest.fixture
def landing(live_server):
    holder: dict[str, str] = {}

    async def page(_request: Request, _recorded: RecordedRequest) -> HTMLResponse:
        return HTMLResponse(PAGE.format(rastro=live_server.base_url, site=holder["site"]))

    server = FakeServer(page).start()
    server.holder = holder  # type: ignore[attr-defined]
    yield server
    server.stop()


def _required_site(live_server, seeded_admin, origin: str) -> str:
    with httpx.Client(base_url=live_server.base_url) as http:
        token = http.post(
            "/api/auth/login", json={"email": seeded_admin.email, "password": seeded_admin.password}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = http.post(
            "/api/domains",
            headers=headers,
            json={"domain_url": origin, "allowed_origins": [origin]},
        )
        assert created.status_code == 201, created.text
        domain = created.json()
        metadata = {**domain["metadata"]}
        metadata["settings"] = {**metadata.get("settings", {}), "consent_mode": "required"}
        changed = http.patch(
            f"/api/domains/{domain['domain_id']}", headers=headers, json={"metadata": metadata}
        )
        assert changed.status_code == 200, changed.text
        return str(domain["site_key"])


HIDDEN = (
    "() => Object.fromEntries([...document.querySelectorAll('#lead input[type=hidden]')]"
    ".map(i => [i.name, i.value]))"
)


def test_consent_withdrawn_and_given_again_mid_session_in_chromium(
    live_server, seeded_admin, landing, browser
):
    origin = landing.url
    landing.holder["site"] = _required_site(live_server, seeded_admin, origin)
    context = new_context(browser, user_agent=DESKTOP_CHROME_UA)
    page = context.new_page()
    watched = Watched(page)
    page.goto(f"{origin}/lp?utm_source=google&utm_campaign=bf")
    page.wait_for_function("() => window.rastro && typeof window.rastro.ids === 'function'")
    page.evaluate("() => rastro.consent({analytics: true, ad_user_data: true})")
    page.evaluate("() => rastro.track('antes')")
    page.wait_for_timeout(1500)  # sent (batched within a second)
    ids = page.evaluate("() => window.rastro.ids()")
    given = page.evaluate(HIDDEN)

    page.evaluate("() => rastro.consent(false)")
    cookies_withdrawn = [c["name"] for c in context.cookies() if c["name"].startswith("_rastro")]
    withdrawn = page.evaluate(HIDDEN)
    page.evaluate("() => rastro.track('durante')")
    page.wait_for_timeout(1500)

    page.evaluate("() => rastro.consent(true)")
    page.evaluate("() => rastro.track('depois')")
    page.wait_for_timeout(1500)
    again = page.evaluate("() => window.rastro.ids()")
    watched.check()
    page.close()
    context.close()

    assert given["rastro_session_id"] == ids["session_id"]
    assert given["rastro_consent"] == "analytics,ad_user_data"
    assert cookies_withdrawn == []
    assert given["utm_source"] == "google"
    assert withdrawn == {
        "rastro_session_id": "",
        "rastro_visitor_id": "",
        "rastro_consent": "none",
        "utm_source": "",
        "utm_campaign": "",
    }
    assert again == ids  # the same visitor and session went on

    sessions = _wait_for(
        lambda: _query(
            live_server,
            "SELECT session_id, metadata FROM sessions WHERE client_session_id = %s",
            ids["session_id"],
        )
    )
    assert len(sessions) == 1
    session_id, metadata = sessions[0]
    actions_sql = "SELECT event_action FROM events WHERE session_id = %s AND event_type = 'custom'"
    _wait_for(lambda: len(_query(live_server, actions_sql, session_id)) >= 2)
    actions = {row[0] for row in _query(live_server, actions_sql, session_id)}
    assert actions == {"antes", "depois"}
    everything = {"analytics": True, "ad_user_data": True, "ad_personalization": True}
    assert metadata["consent"] == everything
    assert [change["consent"] for change in metadata["consent_changes"]] == [everything]
