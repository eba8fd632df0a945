"""The funnel monitor in Chromium: a manager watches a funnel's monitor while a visitor,
in another browser context, opens the funnel's public steps; the count of each step
changes live, the visitor is listed with its source, and a payment of the funnel appears
and turns paid without a reload; the funnel's analytics count the same visit and sale."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser import Shots, Watched, login, new_context, visit
from tests.e2e.test_crm_pages import api_token
from tests.e2e.test_funnel_pages import _api
from tests.funnels.builder.factories import CONTENT
from tests.funnels.payments.factories import BUYER, STATIC_KEY

pytestmark = pytest.mark.e2e

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def _funnel(base: str, token: str) -> tuple[dict, dict]:
    """A static PIX, a tracked site allowing Rastro's own origin, and a funnel with a
    capture and a checkout step; returns the funnel and its steps by type."""
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
        {"domain_url": "https://loja-monitor.example.com", "allowed_origins": [base]},
    )
    funnel = _api(
        base,
        token,
        "POST",
        "/api/funnels",
        {"name": "Funil Monitor", "slug": "funil-monitor", "domain_id": domain["domain_id"]},
    )
    steps = {
        kind: _api(
            base,
            token,
            "POST",
            f"/api/funnels/{funnel['id']}/steps",
            {"name": kind.title(), "slug": kind, "step_type": kind, "content": CONTENT[kind]},
        )
        for kind in ("capture", "checkout")
    }
    _api(
        base,
        token,
        "PUT",
        f"/api/checkout/{funnel['id']}/{steps['checkout']['id']}",
        {"product_name": "Curso", "product_price": "97.00"},
    )
    return funnel, steps


def test_the_monitor_follows_a_visitor_and_a_payment_live(
    live_server, seeded_admin, browser: Browser
) -> None:
    base = live_server.base_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    funnel, steps = _funnel(base, token)
    manager = new_context(browser)
    # A phone's browser (headless Chromium's own agent is a bot's, left off the monitor).
    visitor = new_context(
        browser, viewport={"width": 390, "height": 844}, is_mobile=True, user_agent=PHONE_UA
    )
    monitor = manager.new_page()
    watched = Watched(monitor)
    shots = Shots("funnel_monitor")
    try:
        login(monitor, base, seeded_admin.email, seeded_admin.password)
        visit(monitor, base, f"/funnels/{funnel['id']}")
        monitor.click("[data-testid=funnel-monitor-link]")
        monitor.wait_for_url(re.compile(r".*/monitor$"))
        expect(monitor.get_by_test_id("monitor-live")).to_have_attribute("data-status", "online")
        capture = monitor.get_by_test_id("monitor-step-capture").get_by_test_id(
            "monitor-step-count"
        )
        checkout = monitor.get_by_test_id("monitor-step-checkout").get_by_test_id(
            "monitor-step-count"
        )
        expect(capture).to_have_text("0")
        expect(monitor.get_by_text("Ninguém no funil neste momento", exact=False)).to_be_visible()

        page = visitor.new_page()
        with page.expect_response(lambda r: r.url.endswith("/api/collect")):
            page.goto(f"{base}{steps['capture']['public_path']}?utm_source=instagram")
        expect(capture).to_have_text("1", timeout=15_000)
        table = monitor.get_by_test_id("monitor-visitors")
        expect(table.get_by_text("instagram")).to_be_visible()
        expect(table.get_by_text("Celular")).to_be_visible()
        shots(monitor, "visitor_on_capture")

        with page.expect_response(lambda r: r.url.endswith("/api/collect")):
            page.goto(f"{base}{steps['checkout']['public_path']}")
        expect(checkout).to_have_text("1", timeout=15_000)
        expect(capture).to_have_text("0")
        session_id = page.evaluate(
            "() => document.cookie.split('; ').find(c => c.startsWith('_rastro_s='))?.split('=')[1]"
        )

        payment = _api(
            base,
            token,
            "POST",
            "/api/payments/create",
            {
                "amount": "97.00",
                "product_name": "Curso",
                "customer": BUYER,
                "funnel_id": funnel["id"],
                "step_id": steps["checkout"]["id"],
                "session_id": session_id,
            },
        )
        payments = monitor.get_by_test_id("monitor-payments")
        expect(payments.get_by_test_id("payment-status")).to_have_text("Aguardando pagamento")
        _api(base, token, "POST", f"/api/payments/{payment['id']}/confirm")
        expect(payments.get_by_test_id("payment-status")).to_have_text("Pago")
        expect(
            monitor.get_by_test_id("kpi-revenue_today").get_by_test_id("kpi-value")
        ).to_have_text(re.compile(r"R\$\s?97,00"))
        shots(monitor, "paid")
        # At a phone's width nothing scrolls sideways (the tables scroll inside their box).
        monitor.set_viewport_size({"width": 390, "height": 844})
        expect(checkout).to_have_text("1")
        assert monitor.evaluate("document.documentElement.scrollWidth") <= 390
        shots(monitor, "phone")
        monitor.set_viewport_size({"width": 1280, "height": 800})

        # A reload (or a reconnection) reads the same state back from the API.
        monitor.reload()
        expect(checkout).to_have_text("1")
        expect(payments.get_by_test_id("payment-status")).to_have_text("Pago")

        # The same visit and sale in the funnel's analytics for today.
        visit(monitor, base, f"/funnels/{funnel['id']}/analytics?preset=today")
        expect(monitor.get_by_test_id("funnel-chart")).to_be_visible()
        rows = monitor.get_by_test_id("funnel-steps").locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("Capture")
        expect(rows.nth(1)).to_contain_text("100%")
        expect(monitor.get_by_test_id("kpi-paid_rate").get_by_test_id("kpi-value")).to_have_text(
            "100%"
        )
        expect(monitor.get_by_test_id("funnel-breakdown")).to_contain_text("instagram")
        shots(monitor, "analytics")
        watched.check()
    finally:
        visitor.close()
        manager.close()
