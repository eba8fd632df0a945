"""End-to-end test of the analytics Overview: demo-like sessions and leads written through
the analytics and CRM factories, the rollups refreshed, then the built dashboard served by
the real app and driven by Debian's Chromium (Playwright, sync API).

Signing in lands on the Overview; its numbers are the data's; choosing a channel changes
the numbers and the URL; the channel table's CSV export holds exactly the rows and columns
shown. Screenshots go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.sync_api import Page, expect

from tests.analytics.factories import Visit, add_visits, refresh
from tests.crm.factories import make_leads
from tests.e2e.browser import Shots, login
from tests.tracking.factories import make_site

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture(loop_scope="session")
async def overview_data(client, databases, seeded_admin):  # type: ignore[no-untyped-def]
    """Ten sessions on two channels, five leads, three won (R$ 4.500), rollups up to date."""
    site = await make_site(client, databases, seeded_admin)
    org = seeded_admin.organization_id
    now = datetime.now(UTC)
    paid = [Visit(now - timedelta(days=3), f"vp{i}", campaign="black-friday") for i in range(6)]
    organic = [
        Visit(
            now - timedelta(days=2),
            f"vo{i}",
            channel="Organic Search",
            source="google",
            medium="organic",
            campaign=None,
        )
        for i in range(4)
    ]
    await add_visits(databases, org, site.domain["domain_id"], paid + organic)
    await make_leads(
        databases,
        org,
        3,
        stage="won",
        stage_value=Decimal("1500.00"),
        campaign="black-friday",
        created_at=now - timedelta(days=3),
    )
    await make_leads(
        databases,
        org,
        2,
        channel="Organic Search",
        medium="organic",
        campaign=None,
        created_at=now - timedelta(days=2),
    )
    await refresh(databases, org)
    return site


def kpi(page: Page, name: str) -> str:
    text = page.locator(f"[data-testid=kpi-{name}] [data-testid=kpi-value]").inner_text()
    return text.replace("\u00a0", " ")


def number(shown: str) -> float:
    """A pt-BR figure as shown ("R$ 4.500,00", "22,5%", "1.200") as a number."""
    cleaned = re.sub(r"[^\d,\-]", "", shown).replace(",", ".")
    return float(cleaned)


def shown_table(page: Page, test_id: str) -> list[list[str]]:
    """The header and the rows of a report table, as the page shows them."""
    table = page.locator(f"[data-testid={test_id}] table")
    header = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    rows = [
        [c.strip().replace("\u00a0", " ") for c in row.locator("td").all_inner_texts()]
        for row in table.locator("tbody tr[data-testid=report-row]").all()
    ]
    return [header, *rows]


def test_overview_numbers_filters_and_csv(
    live_server: Any, seeded_admin: Any, overview_data: Any, page: Page, shot: Shots
) -> None:
    base = live_server.base_url
    login(page, base, seeded_admin.email, seeded_admin.password)
    page.wait_for_url(re.compile(r".*/analytics$"))  # the first page after sign-in
    expect(page.locator("[data-testid=kpi-sessions]")).to_be_visible()

    assert kpi(page, "sessions") == "10"
    assert kpi(page, "visitors") == "10"
    assert kpi(page, "leads") == "5"
    assert kpi(page, "won") == "3"
    assert kpi(page, "revenue") == "R$ 4.500,00"
    assert kpi(page, "conversion_rate") == "50%"
    assert kpi(page, "cost") == "—"
    expect(page.locator("[data-testid=live-visitors-count]")).to_have_text("0")
    expect(page.locator("[data-testid=overview-chart] svg").first).to_be_visible()
    channels = page.locator("[data-testid=table-channels]")
    expect(channels.locator("tbody tr")).to_have_count(2)
    expect(channels).to_contain_text("Pesquisa paga")
    expect(channels).to_contain_text("Pesquisa orgânica")
    assert "NaN" not in page.locator("main").inner_text()
    shot(page, "overview")

    # A channel filter: the URL and the numbers change.
    page.select_option("[data-testid=filter-channel]", "Paid Search")
    page.wait_for_url(re.compile(r".*/analytics\?channel=Paid\+Search$"))
    expect(page.locator("[data-testid=kpi-sessions] [data-testid=kpi-value]")).to_have_text("6")
    assert kpi(page, "leads") == "3"
    assert kpi(page, "revenue") == "R$ 4.500,00"
    expect(channels.locator("tbody tr")).to_have_count(1)
    shot(page, "overview-paid-search")

    # The channel table's CSV: exactly what is shown (numbers unformatted).
    shown = shown_table(page, "table-channels")
    with page.expect_download() as download_info:
        channels.locator("[data-testid=csv-button]").click()
    download = download_info.value
    assert download.suggested_filename.startswith("overview-channels-")
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark, for Excel
    exported = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert exported[0] == shown[0]
    assert len(exported) == len(shown) == 2
    for csv_row, shown_row in zip(exported[1:], shown[1:], strict=True):
        assert csv_row[0] == shown_row[0] == "Pesquisa paga"
        assert [float(v) for v in csv_row[1:]] == [number(v) for v in shown_row[1:]]
    assert exported[1][1:6] == ["6", "3", "3", "3", "4500"]  # won leads count as qualified
