"""End-to-end test of ad spend: an admin uploads a CSV of spend under Settings → Spend CSV
(preview, the guessed mapping, the file's currency), imports it, follows the link to the
Ads report and sees the spend of the platform, campaign and ad there, driven by Debian's
Chromium against the real app serving the built dashboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import Shots, login, visit

pytestmark = pytest.mark.e2e


def spend_csv(tmp_path: Path) -> Path:
    """Two days of one Pinterest campaign's ad (R$ 120,50 in all), Brazilian number format."""
    day = datetime.now(UTC).date() - timedelta(days=3)
    path = tmp_path / "pinterest.csv"
    path.write_text(
        "Data;Campanha;Anúncio;Valor gasto;Impressões;Cliques\n"
        f"{day.strftime('%d/%m/%Y')};Pins de Natal;Pin vermelho;100,00;2000;40\n"
        f"{(day + timedelta(days=1)).strftime('%d/%m/%Y')};Pins de Natal;Pin vermelho;20,50;500;10\n",
        encoding="utf-8",
    )
    return path


def test_csv_upload_shows_the_spend_in_the_ads_report(
    live_server: Any, seeded_admin: Any, page: Page, shot: Shots, tmp_path: Path
) -> None:
    base = live_server.base_url
    login(page, base, seeded_admin.email, seeded_admin.password)
    visit(page, base, "/settings/spend-csv")
    page.set_input_files("[data-testid=csv-file]", str(spend_csv(tmp_path)))
    form = page.locator("[data-testid=csv-mapping-form]")
    expect(form.locator("[data-testid=csv-sample]")).to_contain_text("Pins de Natal")
    expect(form.locator("[data-testid=map-day]")).to_have_value("Data")
    expect(form.locator("[data-testid=map-spend]")).to_have_value("Valor gasto")
    expect(form.locator("[data-testid=map-campaign_name]")).to_have_value("Campanha")
    expect(form.locator("[data-testid=csv-import]")).to_be_disabled()  # no currency yet
    form.locator("[data-testid=csv-currency]").fill("BRL")
    form.locator("[data-testid=csv-source]").fill("pinterest")
    shot(page, "spend-csv-preview")
    form.locator("[data-testid=csv-import]").click()
    result = page.locator("[data-testid=csv-result]")
    expect(result).to_contain_text("2 linha(s) importada(s)")
    shot(page, "spend-csv-imported")

    result.get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/analytics/ads\?date_from=.*"))
    report = page.locator("[data-testid=ads-report]")
    expect(report.locator("[data-testid=ads-totals]")).to_contain_text("R$ 120,50 gastos")
    expect(report).to_contain_text("Receita real")
    expect(report).to_contain_text("ROAS da plataforma")
    rows = report.locator("[data-testid=ads-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("pinterest")
    expect(rows.first).to_contain_text("R$ 120,50")
    report.locator("[data-testid=ads-expand-all]").click()
    expect(rows).to_have_count(4)  # platform, campaign, (no ad set: a CSV without them), ad
    expect(rows.nth(1)).to_contain_text("Pins de Natal")
    expect(rows.nth(2)).to_contain_text("(conjunto não informado)")
    ad = rows.nth(3)
    expect(ad).to_contain_text("Pin vermelho")
    expect(ad).to_contain_text("R$ 120,50")
    expect(ad).to_contain_text("2%")  # 50 clicks of 2.500 impressions
    assert "NaN" not in page.locator("main").inner_text()
    shot(page, "ads-report")

    # the upload is in the import log
    visit(page, base, "/settings/ad-accounts")
    log = page.locator("[data-testid=import-row]").first
    expect(log).to_contain_text("CSV")
    expect(log).to_contain_text("Concluída")
