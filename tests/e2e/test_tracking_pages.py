"""End-to-end test of the dashboard's Tracking pages: the built `web/dist` served by the real
Rastro app, driven by Debian's Chromium through Playwright (sync API).

A domain is created through the UI, a tracker batch is posted to the public collector with
the domain's site key (with markup in the page title and the click label), and the session
is followed from the Live table to its timeline and the visitor's journey. Collected text
must show literally and never run. A user of another organization sees none of it.

Every page visited is saved as a full-page screenshot under tests/e2e/artifacts/.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import time
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import (
    DESKTOP_CHROME_UA,
    Shots,
    Watched,
    login,
    new_context,
    visit,
    wait_loaded,
)

XSS_TITLE = "<script>alert(1)</script>"
XSS_LABEL = "<img src=x onerror=alert(1)>"

pytestmark = pytest.mark.e2e


def tracker_id(prefix: str) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(22))


def post_batch(base_url: str, origin: str, site_key: str, host: str) -> dict[str, Any]:
    """One tracker batch, as t.js sends it (text/plain JSON, the page's Origin)."""
    now_ms = int(time.time() * 1000)
    url = f"https://{host}/lp?utm_source=google&utm_medium=cpc&utm_campaign=bf&gclid=TEST123"
    body = {
        "site": site_key,
        "visitor_id": tracker_id("v_"),
        "session_id": tracker_id("s_"),
        "events": [
            {
                "event_id": str(uuid.uuid4()),
                "type": "page_view",
                "ts": now_ms,
                "url": url,
                "referrer": "https://www.google.com/",
                "title": XSS_TITLE,
                "view_id": "pv1",
            },
            {
                "event_id": str(uuid.uuid4()),
                "type": "click",
                "ts": now_ms,
                "url": url,
                "label": XSS_LABEL,
                "view_id": "pv1",
            },
        ],
    }
    response = httpx.post(
        f"{base_url}/api/collect",
        content=json.dumps(body),
        headers={
            "Content-Type": "text/plain;charset=UTF-8",
            "Origin": origin,
            "User-Agent": DESKTOP_CHROME_UA,
        },
        timeout=15,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    assert data["accepted"] == 2, data
    data["sent_session_id"] = body["session_id"]
    return data


# --- scenario ----------------------------------------------------------------------------


def test_tracking_pages(
    live_server: Any,
    seeded_admin: Any,
    other_org_user: Any,
    browser: Browser,
    page: Page,
    shot: Shots,
) -> None:
    base = live_server.base_url
    tag = uuid.uuid4().hex[:8]
    host = f"lp-{tag}.example.com"
    origin = f"https://{host}"

    login(page, base, seeded_admin.email, seeded_admin.password)
    nav = page.get_by_role("navigation").first
    expect(nav.get_by_role("link", name=re.compile("Rastreamento|Tracking"))).to_be_visible()
    nav.get_by_role("link", name=re.compile("Rastreamento|Tracking")).click()
    page.wait_for_url(re.compile(r".*/tracking$"))
    wait_loaded(page)
    # Nothing collected yet: the empty state points to the domains.
    empty = page.locator("main [data-testid=empty-state]")
    expect(empty).to_be_visible()
    shot(page, "live-empty")
    empty.get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/tracking/domains$"))
    wait_loaded(page)
    shot(page, "domains-empty")

    # --- a domain, created through the form; its snippet carries the site key ----------
    page.click("[data-testid=add-domain]")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.locator("input[name=domain_url]").fill(f"https://{host}/")
    dialog.locator("input[name=domain_name]").fill(f"Loja {tag}")
    shot(page, "domain-form")
    dialog.locator("[data-testid=domain-submit]").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    card = page.locator("[data-testid=domain-card]", has_text=f"Loja {tag}")
    expect(card).to_have_count(1)
    snippet = card.locator("[data-testid=domain-snippet]").inner_text().strip()
    match = re.search(r'data-site="([^"]+)"', snippet)
    assert match, snippet
    site_key = match.group(1)
    assert snippet.startswith("<script"), snippet
    assert "t.js" in snippet, snippet
    assert card.locator("[data-testid=domain-site-key]").inner_text().strip() == site_key
    expect(card).to_contain_text(origin)
    card.locator("summary").click()
    expect(card).to_contain_text("data-rastro-click")
    expect(card).to_contain_text("rastro.consent(true)")
    # Nothing received yet: the card says what to do.
    expect(card.locator("[data-testid=domain-status]")).to_have_attribute("data-state", "waiting")
    shot(page, "domain-created")

    # --- a visit, as the tracker on that site would send it -----------------------------
    result = post_batch(base, origin, site_key, host)
    session_id = result.get("session_id") or result["sent_session_id"]

    # --- Live: the session is listed -------------------------------------------------------
    visit(page, base, "/tracking")
    row = page.locator(f"[data-testid=live-session-row][data-session-id='{session_id}']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Paid Search")
    expect(row).to_contain_text("google / cpc")
    shot(page, "live")

    # --- Session timeline --------------------------------------------------------------------
    row.locator("[data-testid=live-session-link]").click()
    page.wait_for_url(re.compile(r".*/tracking/sessions/.+"))
    wait_loaded(page)
    main = page.locator("main")
    expect(main.locator("[data-testid=session-id]")).to_have_text(session_id)
    touch = main.locator("[data-testid=touch-card]").first
    expect(touch.locator("[data-testid=touch-gclid]")).to_contain_text("TEST123")
    expect(touch.locator("[data-testid=touch-utm_campaign]")).to_contain_text("bf")
    expect(touch.locator("[data-testid=channel-badge]")).to_have_text("Paid Search")
    views = main.locator("[data-testid=page-view]")
    expect(views).to_have_count(1)
    expect(views.first.locator("[data-testid=page-view-title]")).to_have_text(XSS_TITLE)
    expect(views.first.locator("[data-testid=page-view-url]")).to_contain_text(f"{host}/lp")
    click_row = main.locator("[data-testid=event-row]", has_text="Clique")
    expect(click_row).to_have_count(1)
    expect(click_row.locator("[data-testid=event-detail]")).to_contain_text(XSS_LABEL)
    # Shown as text: no element was made from the collected markup.
    assert main.locator("img[src=x]").count() == 0
    assert main.locator("script").count() == 0
    shot(page, "session")

    # --- Visitor journey ---------------------------------------------------------------------
    main.locator("[data-testid=journey-link]").click()
    page.wait_for_url(re.compile(r".*/tracking/visitors/.+"))
    wait_loaded(page)
    expect(main.locator("[data-testid=journey-summary]")).to_be_visible()
    sessions = main.locator("[data-testid=journey-session]")
    expect(sessions).to_have_count(1)
    expect(sessions.first.locator("[data-testid=journey-touch]").first).to_contain_text("bf")
    expect(sessions.first.locator("[data-testid=journey-touch]").first).to_contain_text(
        "Paid Search"
    )
    visitor_path = page.url.split(base, 1)[1]
    shot(page, "journey")
    sessions.first.locator("[data-testid=journey-session-link]").click()
    page.wait_for_url(re.compile(r".*/tracking/sessions/.+"))
    wait_loaded(page)
    expect(page.locator("main [data-testid=session-id]")).to_have_text(session_id)

    # --- History: the session in the default week, gone when filtered out, domain installed --
    visit(page, base, "/tracking/sessions")
    history = page.locator("[data-testid=history-row]")
    expect(history.filter(has_text="bf")).to_have_count(1)
    shot(page, "history")
    page.get_by_label("Dispositivo").select_option("tablet")
    expect(page.locator("main")).to_contain_text("Nenhuma sessão neste período")
    visit(page, base, "/tracking/domains")
    card = page.locator("[data-testid=domain-card]", has_text=f"Loja {tag}")
    expect(card.locator("[data-testid=domain-status]")).to_have_attribute("data-state", "installed")
    expect(card.locator("[data-testid=domain-status]")).to_contain_text("1 sessão hoje")

    # --- Landing pages: the domain is offered ------------------------------------------------
    visit(page, base, "/tracking/landing-pages")
    expect(page.locator("[data-testid=lp-domain]")).to_contain_text(f"Loja {tag}")
    shot(page, "landing-pages")

    # --- another organization sees none of it ------------------------------------------------
    other_ctx = new_context(browser)
    try:
        other = other_ctx.new_page()
        watched = Watched(other)
        login(other, base, other_org_user.email, other_org_user.password)
        forbidden = [site_key, host, "TEST123", XSS_TITLE, XSS_LABEL, f"Loja {tag}"]
        for path in [
            "/tracking",
            "/tracking/sessions",
            "/tracking/domains",
            "/tracking/landing-pages",
        ]:
            visit(other, base, path)
            shot(other, "other-" + path.strip("/").replace("/", "-"))
            html = other.content()
            for needle in forbidden:
                assert needle not in html, f"{needle!r} of the first organization is on {path}"
        expect(other.locator("main [data-testid=live-session-row]")).to_have_count(0)
        for path in [f"/tracking/sessions/{session_id}", visitor_path]:
            visit(other, base, path)
            expect(other.locator("main [role=alert]")).to_be_visible()
            shot(other, "other-" + path.strip("/").split("/")[1])
            html = other.content()
            for needle in forbidden:
                assert needle not in html, f"{needle!r} of the first organization is on {path}"
        watched.check()
    finally:
        other_ctx.close()
