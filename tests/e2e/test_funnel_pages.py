"""A funnel's public pages in Chromium, at a phone's width: a visitor from a Meta ad lands
on the capture step, the tracker fills the form's hidden fields, the lead is attributed to
the ad's session; the checkout makes a PIX charge whose page follows the payment and moves
to the upsell once it is confirmed, where the Meta pixel's Purchase carries the payment's
event id — the one the server-side conversion sends.

Requests to anything but 127.0.0.1 are aborted (nothing calls the internet): Meta's
`fbevents.js` never loads, so the pixel's calls stay in `fbq.queue`, where the test reads
them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Route, expect

from tests.e2e.browser import Shots, Watched, login, new_context, visit
from tests.e2e.test_crm_pages import api_token
from tests.e2e.test_tracker import _wait_for
from tests.funnels.builder.factories import CONTENT
from tests.funnels.payments.factories import STATIC_KEY

pytestmark = pytest.mark.e2e

FBCLID = "IwAR2F4-funnelClick-e2e0001"
PIXEL = "123456789012345"


def _api(base: str, token: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(
        method, f"{base}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=15
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def _funnel(base: str, token: str) -> str:
    """A static PIX, a domain allowing Rastro's own origin, and a funnel with a Meta
    pixel; returns the capture step's public path."""
    _api(
        base,
        token,
        "POST",
        "/api/credentials",
        {
            "name": "PIX",
            "service": "pix_static",
            "api_key": STATIC_KEY,
            "settings": {"merchant_name": "LOJA EXEMPLO", "merchant_city": "SAO PAULO"},
        },
    )
    domain = _api(
        base,
        token,
        "POST",
        "/api/domains",
        {
            "domain_url": "https://loja-funil.example.com",
            "allowed_origins": [base],
        },
    )
    funnel = _api(
        base,
        token,
        "POST",
        "/api/funnels",
        {
            "name": "Funil E2E",
            "slug": "funil-e2e",
            "domain_id": domain["domain_id"],
        },
    )
    steps = {}
    for kind in ("capture", "checkout", "upsell", "thankyou"):
        steps[kind] = _api(
            base,
            token,
            "POST",
            f"/api/funnels/{funnel['id']}/steps",
            {
                "name": kind,
                "slug": kind,
                "step_type": kind,
                "content": CONTENT[kind],
                "settings": {"collect_document": False} if kind == "checkout" else {},
            },
        )
    for kind, price in (("checkout", "97.00"), ("upsell", "47.00")):
        _api(
            base,
            token,
            "PUT",
            f"/api/checkout/{funnel['id']}/{steps[kind]['id']}",
            {
                "product_name": f"Produto {kind}",
                "product_price": price,
            },
        )
    _api(
        base,
        token,
        "POST",
        "/api/tracking/pixels",
        {
            "funnel_id": funnel["id"],
            "pixel_type": "facebook",
            "pixel_id": PIXEL,
        },
    )
    return str(steps["capture"]["public_path"])


def _fbq_calls(page: Any) -> list[list[Any]]:
    return page.evaluate("() => (window.fbq && window.fbq.queue || []).map(a => Array.from(a))")


def test_capture_checkout_and_purchase_pixel_in_chromium(
    live_server, seeded_admin, browser: Browser
) -> None:
    base = live_server.base_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    capture_path = _funnel(base, token)
    funnel_base = capture_path.rsplit("/", 1)[0]
    context = new_context(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    external: list[str] = []

    def only_local(route: Route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    watched = Watched(page)
    shots = Shots("funnel_pages")
    try:
        # A person takes longer than the tracker's first batch (1 s) to fill the form.
        with page.expect_response(lambda r: r.url.endswith("/api/collect")) as collected:
            page.goto(
                f"{base}{capture_path}?utm_source=facebook&utm_medium=paid_social&fbclid={FBCLID}"
            )
        assert collected.value.status == 200
        # The tracker filled the hidden fields from the ad's landing.
        expect(page.locator("input[name=fbclid]")).to_have_value(FBCLID)
        expect(page.locator("input[name=rastro_session_id]")).not_to_have_value("")
        session_id = page.locator("input[name=rastro_session_id]").input_value()
        calls = _fbq_calls(page)
        assert ["init", PIXEL] in calls
        assert any(c[:3] == ["trackSingle", PIXEL, "PageView"] for c in calls)
        # No horizontal scroll at a phone's width.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shots(page, "capture")
        page.fill("input[name=name]", "Ana Lima")
        page.fill("input[name=email]", "ana.e2e@example.com")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/checkout$"))

        leads = _wait_for(
            lambda: _api(base, token, "GET", "/api/leads?page_size=5")["items"], timeout=10
        )
        (lead,) = leads
        detail = _api(base, token, "GET", f"/api/leads/{lead['lead_id']}")["lead"]
        assert detail["session_id"] == session_id
        assert detail["attribution_status"] == "attributed"
        assert detail["source"] == "facebook"
        assert detail["metadata"]["click_ids"]["fbclid"] == FBCLID

        expect(page.locator(".price")).to_have_text("R$ 97,00")
        page.fill("input[name=name]", "Ana Lima")
        page.fill("input[name=email]", "ana.e2e@example.com")
        page.fill("input[name=phone]", "11987654321")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/checkout\?payment="))
        expect(page.locator(".qr svg")).to_be_visible()
        code = page.locator("#pix-code").input_value()
        assert code.startswith("000201")
        assert "br.gov.bcb.pix" in code
        shots(page, "pix")
        payment_id = page.url.split("payment=", 1)[1]

        _api(base, token, "POST", f"/api/payments/{payment_id}/confirm")
        # The page follows the payment and moves on by itself.
        page.wait_for_url(f"{base}{funnel_base}/upsell?payment={payment_id}", timeout=15_000)
        expect(page.locator(".price")).to_have_text("R$ 47,00")
        purchase = [c for c in _fbq_calls(page) if c[:3] == ["trackSingle", PIXEL, "Purchase"]]
        assert purchase == [
            [
                "trackSingle",
                PIXEL,
                "Purchase",
                {"value": 97, "currency": "BRL"},
                {"eventID": f"purchase-{payment_id}"},
            ]
        ]
        status = _api(base, token, "GET", f"/api/payments/{payment_id}/status")
        assert status["purchase_event_id"] == f"purchase-{payment_id}"
        shots(page, "upsell")
        page.click("button[value=decline]")
        page.wait_for_url(re.compile(r".*/thankyou\?payment="))
        expect(page.locator("h1")).to_have_text(CONTENT["thankyou"]["headline"])
        assert all("facebook" in url or "fbevents" in url for url in external), external
        watched.check()
    finally:
        context.close()


def test_the_editor_reorders_by_dragging_and_previews_in_chromium(
    live_server, seeded_admin, browser: Browser
) -> None:
    base = live_server.base_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    funnel = _api(base, token, "POST", "/api/funnels", {"name": "Funil Editor"})
    for kind in ("capture", "checkout", "thankyou"):
        _api(
            base,
            token,
            "POST",
            f"/api/funnels/{funnel['id']}/steps",
            {
                "name": f"Etapa {kind}",
                "slug": kind,
                "step_type": kind,
                "content": CONTENT[kind],
            },
        )
    context = new_context(browser)
    page = context.new_page()
    watched = Watched(page)
    try:
        login(page, base, seeded_admin.email, seeded_admin.password)
        visit(page, base, f"/funnels/{funnel['id']}")
        rows = page.locator("[data-testid=step-row]")
        expect(rows).to_have_count(3)
        # Drag the thank-you step onto the first place.
        handle = page.get_by_role("button", name="Arrastar Etapa thankyou")
        target = rows.nth(0).bounding_box()
        source = handle.bounding_box()
        assert target
        assert source
        page.mouse.move(source["x"] + 5, source["y"] + 5)
        page.mouse.down()
        page.mouse.move(source["x"] + 5, source["y"] - 20, steps=5)
        page.mouse.move(target["x"] + 40, target["y"] + 10, steps=10)
        page.mouse.up()
        expect(rows.nth(0)).to_contain_text("Etapa thankyou")
        steps = _wait_for(
            lambda: (
                (s := _api(base, token, "GET", f"/api/funnels/{funnel['id']}/steps"))[0]["slug"]
                == "thankyou"
                and s
            ),
            timeout=10,
        )
        assert [s["slug"] for s in steps] == ["thankyou", "capture", "checkout"]

        # The selected step's form previews the draft, unsaved.
        rows.nth(1).get_by_role("button", name=re.compile("Etapa capture Captura")).click()
        headline = page.get_by_test_id("step-form").get_by_label("Título", exact=True)
        headline.fill("Chamada <b>nova</b>")
        frame = page.frame_locator("[data-testid=step-preview]")
        expect(frame.locator("h1")).to_have_text("Chamada <b>nova</b>")
        assert (
            _api(base, token, "GET", f"/api/funnels/{funnel['id']}/steps")[1]["content"]["headline"]
            == CONTENT["capture"]["headline"]
        )
        page.get_by_test_id("step-save").click()
        _wait_for(
            lambda: (
                _api(base, token, "GET", f"/api/funnels/{funnel['id']}/steps")[1]["content"][
                    "headline"
                ]
                == "Chamada <b>nova</b>"
            ),
            timeout=10,
        )
        page.set_viewport_size({"width": 390, "height": 844})
        visit(page, base, "/funnels")
        expect(page.get_by_test_id("funnels-table")).to_contain_text("Funil Editor")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        watched.check()
    finally:
        context.close()


FAKE_YOUTUBE = """<!doctype html><html><body><script>
window.addEventListener("message", function (e) {
  var m = JSON.parse(e.data);
  if (m.event !== "listening") return;
  // A real player answers "listening" with infoDelivery messages as the video plays.
  parent.postMessage(JSON.stringify({event: "onReady", id: m.id}), "*");
  parent.postMessage(JSON.stringify({event: "infoDelivery", info: {playerState: 1, currentTime: 0, duration: 120}}), "*");
  parent.postMessage(JSON.stringify({event: "infoDelivery", info: {currentTime: 65}}), "*");
});
</script></body></html>"""


def test_the_vsl_reports_play_and_progress_to_the_tracker_in_chromium(
    live_server, seeded_admin, browser: Browser
) -> None:
    base = live_server.base_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    domain = _api(
        base,
        token,
        "POST",
        "/api/domains",
        {
            "domain_url": "https://vsl.example.com",
            "allowed_origins": [base],
        },
    )
    funnel = _api(
        base,
        token,
        "POST",
        "/api/funnels",
        {
            "name": "VSL",
            "slug": "vsl-e2e",
            "domain_id": domain["domain_id"],
        },
    )
    vsl = _api(
        base,
        token,
        "POST",
        f"/api/funnels/{funnel['id']}/steps",
        {
            "name": "Vídeo",
            "slug": "video",
            "step_type": "vsl",
            "content": CONTENT["vsl"],
        },
    )
    context = new_context(browser)
    sent: list[dict[str, Any]] = []
    # /t.js is held until the player has answered: the page must queue what the video
    # reports before the (deferred) tracker has loaded, not drop it.
    held: list[Route] = []
    answered: list[bool] = []

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith("https://www.youtube-nocookie.com/embed/"):
            route.fulfill(status=200, content_type="text/html", body=FAKE_YOUTUBE)
            answered.append(True)
        elif url.startswith(f"{base}/t.js"):
            held.append(route)
        elif url.startswith(base):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    watched = Watched(page)

    def record(request: Any) -> None:
        if request.url.endswith("/api/collect") and request.post_data:
            sent.extend(json.loads(request.post_data)["events"])

    page.on("request", record)
    try:
        page.goto(f"{base}{vsl['public_path']}", wait_until="commit")
        # The sync API delivers the page's requests while it waits on the page.
        for _ in range(50):
            if held and answered:
                break
            page.wait_for_timeout(100)
        assert held, "the page never asked for the tracker"
        assert answered, "the page never asked for the player"
        page.wait_for_timeout(1000)  # the player's messages reach the page meanwhile
        assert sent == []
        held[0].continue_()
        for _ in range(50):
            if {e["type"] for e in sent} >= {"video_play", "custom"} and len(sent) >= 4:
                break
            page.wait_for_timeout(200)
        plays = [e for e in sent if e["type"] == "video_play"]
        progress = sorted(e["value"] for e in sent if e.get("action") == "video_progress")
        assert len(plays) == 1
        assert plays[0]["label"] == "dQw4w9WgXcQ"
        assert progress == [25, 50]
        watched.check()
    finally:
        context.close()


def test_pixels_and_tracker_wait_for_consent_in_chromium(
    live_server, seeded_admin, browser: Browser
) -> None:
    base = live_server.base_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    domain = _api(
        base,
        token,
        "POST",
        "/api/domains",
        {
            "domain_url": "https://consent.example.com",
            "allowed_origins": [base],
        },
    )
    funnel = _api(
        base,
        token,
        "POST",
        "/api/funnels",
        {
            "name": "LGPD",
            "slug": "lgpd-e2e",
            "domain_id": domain["domain_id"],
            "settings": {"require_consent": True},
        },
    )
    step = _api(
        base,
        token,
        "POST",
        f"/api/funnels/{funnel['id']}/steps",
        {
            "name": "Obrigado",
            "slug": "obrigado",
            "step_type": "thankyou",
            "content": CONTENT["thankyou"],
        },
    )
    _api(
        base,
        token,
        "POST",
        "/api/tracking/pixels",
        {
            "funnel_id": funnel["id"],
            "pixel_type": "facebook",
            "pixel_id": PIXEL,
        },
    )
    context = new_context(browser)
    asked: list[str] = []

    def route(route: Route) -> None:
        asked.append(route.request.url)
        if route.request.url.startswith(base):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    watched = Watched(page)
    try:
        page.goto(f"{base}{step['public_path']}")
        page.wait_for_timeout(1500)  # longer than the tracker's first batch
        assert page.evaluate("typeof window.fbq") == "undefined"
        assert not any("/api/collect" in url or "facebook" in url for url in asked)
        page.get_by_role("button", name="Aceitar").click()
        expect(page.locator("#consent")).to_have_count(0)
        assert ["init", PIXEL] in _fbq_calls(page)
        for _ in range(25):  # the buffered page view goes out once consent is given
            if any(url.endswith("/api/collect") for url in asked):
                break
            page.wait_for_timeout(200)
        assert any(url.endswith("/api/collect") for url in asked)
        # A later page of the same visitor starts at once.
        page.reload()
        expect(page.locator("#consent")).to_have_count(0)
        assert ["init", PIXEL] in _fbq_calls(page)
        watched.check()
    finally:
        context.close()
