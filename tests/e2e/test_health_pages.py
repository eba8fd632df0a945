"""End-to-end test of tracking health and alerts: an admin whose ad spent yesterday with no
tracked visit adds "real ROAS below 1.5 for 1 day" under Analytics → Alerts, checks it now,
sees the firing in the history and on the header's bell, then sees the ad under Analytics →
"Unattributed & ad URLs" with what to fix; the health page fits a phone's width. Debian's Chromium
against the real app serving the built dashboard (`cd web && npm run build`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from playwright.sync_api import Page, expect

from tests.analytics.health_data import BF, local_today
from tests.analytics.join_data import ad_row, store_spend
from tests.e2e.browser import Shots, login, visit

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture(loop_scope="session")
async def spent_yesterday(databases, seeded_admin):  # type: ignore[no-untyped-def]
    yesterday = local_today() - timedelta(days=1)
    await store_spend(
        databases,
        seeded_admin.organization_id,
        "meta",
        "act_1",
        [ad_row(yesterday, BF, ("a1", "Vídeo A"), "100", ad_set=("s1", "LAL"))],
    )
    return seeded_admin


def test_a_rule_fires_and_the_health_page_says_what_to_fix(
    live_server: Any, spent_yesterday: Any, page: Page, shot: Shots
) -> None:
    base = live_server.base_url
    admin = spent_yesterday
    login(page, base, admin.email, admin.password)
    visit(page, base, "/analytics/alerts")
    expect(page.get_by_text("Nenhuma regra de alerta ainda", exact=False)).to_be_visible()
    page.click("[data-testid=rule-add]")
    form = page.locator("[data-testid=rule-form]")
    form.get_by_label("Nome").fill("ROAS baixo")
    form.get_by_label("Limite").fill("1.5")
    form.get_by_label("Dias seguidos").fill("1")
    shot(page, "alert-rule-form")
    form.locator("[data-testid=rule-save]").click()
    rules = page.locator("[data-testid=rules]")
    expect(rules).to_contain_text("ROAS real abaixo de 1,5 por 1 dia(s)")

    page.click("[data-testid=rules-evaluate]")
    expect(page.get_by_text("1 aberto(s), 0 resolvido(s)", exact=False).first).to_be_visible()
    history = page.locator("[data-testid=alert-history]")
    expect(history.locator("[data-testid=report-row]")).to_have_count(1)
    expect(history).to_contain_text("Aberto")
    expect(history).to_contain_text("Todo o gasto")
    expect(page.locator("[data-testid=alerts-count]")).to_have_text("1")
    shot(page, "alerts-history")

    visit(page, base, "/analytics/health")
    spend = page.locator("[data-testid=health-spend]")
    expect(spend).to_contain_text("Vídeo A")
    expect(spend).to_contain_text("R$ 100,00")
    expect(spend).to_contain_text("Acrescente os parâmetros UTM")
    expect(page.locator("[data-testid=kpi-spend]")).to_contain_text("R$ 100,00")
    expect(page.get_by_text("Nenhuma URL de anúncio verificada ainda", exact=False)).to_be_visible()
    assert "NaN" not in page.locator("main").inner_text()
    shot(page, "tracking-health")

    page.set_viewport_size({"width": 375, "height": 740})
    visit(page, base, "/analytics/health")
    expect(page.locator("[data-testid=health-spend]")).to_contain_text("Vídeo A")
    # the page itself never scrolls sideways (tables scroll inside their cards)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    shot(page, "tracking-health-phone")
