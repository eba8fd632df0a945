"""Recovery in Chromium, at a phone's width: a buyer from a Meta ad generates a PIX and
leaves; the detection (fixed clock) opens the case; the PIX expires; the buyer opens the
resume link on another phone (a new tracked session, no UTMs): the checkout comes
pre-filled, the new PIX keeps the original session (the sale's credit), and once paid
the case is recovered — shown on the dashboard's recovery page in Portuguese, without
horizontal scrolling."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, Route, expect
from sqlalchemy import select

from rastro.core.db import SYSTEM
from rastro.core.units import TransactionBoundary
from rastro.funnels.payments.models import Payment
from rastro.funnels.payments.service import payments
from rastro.funnels.recovery.models import RecoveryCase
from rastro.funnels.recovery.service.actions import LinkSigner
from rastro.funnels.recovery.service.detection import detect_due
from rastro.runtime import make_databases
from tests.e2e.browser import Shots, Watched, login, new_context, visit
from tests.e2e.test_crm_pages import api_token
from tests.e2e.test_funnel_pages import _api, _funnel

pytestmark = pytest.mark.e2e

FBCLID = "IwAR2F4-recoveryClick-e2e01"
T = TypeVar("T")


def _run(make: Callable[[Any], Awaitable[T]], settings: Any) -> T:
    """Run database work in a thread with its own loop (the browser owns this one's)."""
    results: list[T] = []
    errors: list[BaseException] = []

    async def run() -> None:
        databases = make_databases(settings)
        try:
            results.append(await make(databases))
        finally:
            await databases.dispose()

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results[0]


def _detect_then_expire(settings: Any, base: str, payment_id: str) -> str:
    """Detection 16 minutes after the PIX, then its expiry; the case's resume link."""
    signer = LinkSigner(secret=settings.secret_key_value, base_url=base)

    async def work(databases: Any) -> str:
        async with databases.crm.transaction(SYSTEM) as session:
            payment = await session.get(Payment, uuid.UUID(payment_id))
            created, expires = payment.created_at, payment.expires_at
        found = await detect_due(
            TransactionBoundary(databases.crm),
            TransactionBoundary(databases.bi),
            signer=signer,
            now=created + timedelta(minutes=16),
        )
        assert len(found) == 1
        async with databases.crm.transaction(SYSTEM) as session:
            assert await payments.expire_due(session, now=expires + timedelta(seconds=1)) == 1
            case = await session.scalar(
                select(RecoveryCase).where(RecoveryCase.payment_id == uuid.UUID(payment_id))
            )
            return signer.resume_url(case)

    return _run(work, settings)


def _local_only(base: str) -> Callable[[Route], None]:
    def route(request_route: Route) -> None:
        if request_route.request.url.startswith(base):
            request_route.continue_()
        else:
            request_route.abort()

    return route


def test_resume_link_and_recovery_page_in_chromium(
    live_server, seeded_admin, browser: Browser
) -> None:
    base = live_server.base_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    capture_path = _funnel(base, token)
    phone = {"viewport": {"width": 375, "height": 812}, "is_mobile": True}
    shots = Shots("recovery")

    # The first phone: from the ad to a PIX that is never paid.
    first = new_context(browser, **phone)
    first.route("**/*", _local_only(base))
    page = first.new_page()
    try:
        with page.expect_response(lambda r: r.url.endswith("/api/collect")):
            page.goto(
                f"{base}{capture_path}?utm_source=facebook&utm_medium=paid_social"
                f"&utm_campaign=bf24&fbclid={FBCLID}"
            )
        original_session = page.locator("input[name=rastro_session_id]").input_value()
        assert original_session
        page.fill("input[name=name]", "Ana Lima")
        page.fill("input[name=email]", "ana.recovery@example.com")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/checkout$"))
        page.fill("input[name=name]", "Ana Lima")
        page.fill("input[name=email]", "ana.recovery@example.com")
        page.fill("input[name=phone]", "11987654321")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/checkout\?payment="))
        first_payment = page.url.split("payment=", 1)[1]
    finally:
        first.close()

    resume_url = _detect_then_expire(live_server.settings, base, first_payment)

    # Another phone, from WhatsApp: a new session, no UTMs.
    second = new_context(browser, **phone)
    second.route("**/*", _local_only(base))
    page = second.new_page()
    watched = Watched(page)
    try:
        with page.expect_response(lambda r: r.url.endswith("/api/collect")):
            page.goto(resume_url)
        assert "?resume=" in page.url
        expect(page.locator("input[name=name]")).to_have_value("Ana Lima")
        expect(page.locator("input[name=email]")).to_have_value("ana.recovery@example.com")
        expect(page.locator("input[name=rastro_session_id]")).not_to_have_value("")
        assert page.locator("input[name=rastro_session_id]").input_value() != original_session
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        shots(page, "resumed-checkout")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/checkout\?payment="))
        expect(page.locator(".qr svg")).to_be_visible()
        second_payment = page.url.split("payment=", 1)[1]
        assert second_payment != first_payment
        watched.check()
    finally:
        second.close()
    stored = _api(base, token, "GET", f"/api/payments/{second_payment}")
    assert stored["session_id"] == original_session  # the sale keeps the ad's session
    _api(base, token, "POST", f"/api/payments/{second_payment}/confirm")
    (case,) = _api(base, token, "GET", "/api/recovery/cases")["items"]
    assert case["recovered_amount"] == "97.00"
    assert case["utm_campaign"] == "bf24"

    # The sales team's page, on a phone, in Portuguese.
    dashboard = new_context(browser, **phone)
    page = dashboard.new_page()
    watched = Watched(page)
    try:
        login(page, base, seeded_admin.email, seeded_admin.password)
        visit(page, base, "/funnels/recovery")
        expect(page.get_by_role("heading", name="Recuperação de checkout")).to_be_visible()
        expect(page.get_by_test_id("kpi-recovered")).to_contain_text("1")
        expect(page.get_by_test_id("kpi-revenue")).to_contain_text("97,00")
        expect(page.get_by_test_id("recovery-campaigns")).to_contain_text("bf24")
        expect(page.get_by_test_id("recovery-cases")).to_contain_text("Recuperado")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        shots(page, "dashboard")
        watched.check()
    finally:
        dashboard.close()


def _detect_at(settings: Any, minutes: int) -> int:
    """Detection `minutes` from now (the fixed clock of a test)."""

    async def work(databases: Any) -> int:
        found = await detect_due(
            TransactionBoundary(databases.crm),
            TransactionBoundary(databases.bi),
            signer=LinkSigner(secret=settings.secret_key_value, base_url=settings.public_url),
            now=datetime.now(UTC) + timedelta(minutes=minutes),
        )
        return len(found)

    return _run(work, settings)


def test_the_checkout_sends_the_contact_as_it_is_typed(
    live_server, seeded_admin, browser: Browser
) -> None:
    base = live_server.base_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    capture_path = _funnel(base, token)
    checkout = capture_path.rsplit("/", 1)[0] + "/checkout"
    context = new_context(browser, viewport={"width": 375, "height": 812}, is_mobile=True)
    context.route("**/*", _local_only(base))
    page = context.new_page()
    watched = Watched(page)
    try:
        with page.expect_response(lambda r: r.url.endswith("/api/collect")):
            page.goto(f"{base}{checkout}?utm_source=facebook&utm_campaign=natal&fbclid={FBCLID}")
        expect(page.locator("input[name=rastro_session_id]")).not_to_have_value("")
        page.fill("input[name=name]", "Bia Costa")
        with page.expect_response(lambda r: "/f/_started/" in r.url) as sent:
            page.fill("input[name=email]", "bia.checkout@example.com")
            page.locator("input[name=email]").blur()
        assert sent.value.status == 204
        # The same contact again sends nothing new; a phone added sends once more.
        with page.expect_response(lambda r: "/f/_started/" in r.url) as again:
            page.fill("input[name=phone]", "11912345678")
            page.locator("input[name=phone]").blur()
        assert again.value.status == 204
        watched.check()
    finally:
        context.close()
    # The buyer never generated the PIX: after the checkout delay (30 minutes), a case.
    assert _detect_at(live_server.settings, 29) == 0
    assert _detect_at(live_server.settings, 31) == 1
    (case,) = _api(base, token, "GET", "/api/recovery/cases")["items"]
    assert case["kind"] == "checkout_abandoned"
    assert case["first_name"] == "Bia"
    assert case["phone"] == "+5511912345678"
    assert case["utm_campaign"] == "natal"
