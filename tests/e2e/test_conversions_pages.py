"""End-to-end test of the dashboard's conversions pages: the built `web/dist` served by the
real Rastro app, driven by Debian's Chromium through Playwright (sync API).

One lead is moved to `won` through the API (the real path: its conversion is created with
a delivery state per platform); two more conversions are written through the ORM with a
failed and a sent Meta delivery and their sync log. The list shows a status chip per
platform (the reason in a tooltip), filters by status through the URL, and the health card
counts the attempts of the last 24 hours. A conversion's page unfolds its sync log; "retry
now" on the failed delivery and "send again" (after the confirmation) on the sent one put
the deliveries back to `pending` in the database with a sync job queued. The lead page
links to the lead's conversions; the settings tab saves a window. A user of another
organization sees none of it.

Every page visited is saved as a full-page screenshot under tests/e2e/artifacts/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
import pytest_asyncio
from playwright.sync_api import Browser, Page, expect

from rastro.conversions.models import ConversionSync, OfflineConversion, PlatformSyncLog
from rastro.core.db import Databases, Scope
from rastro.core.ids import uuid7
from tests.crm.factories import make_leads
from tests.e2e.browser import Shots, Watched, login, new_context, visit
from tests.e2e.test_crm_pages import api_token

pytestmark = pytest.mark.e2e

HASHED_EMAIL = "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
META_ERROR = "(#100) Invalid parameter: event_time is too far in the past"


@dataclass(frozen=True)
class Seeded:
    won_lead: str
    failed: str
    sent: str


async def _conversion(
    databases: Databases,
    organization_id: Any,
    lead_id: Any,
    *,
    name: str,
    value: str,
    syncs: dict[str, tuple[str, str | None]],
    log: list[dict[str, Any]],
) -> str:
    """A conversion with its delivery states and sync log, as the sync job leaves them."""
    now = datetime.now(UTC)
    conversion_id = uuid7()
    async with databases.crm.transaction(Scope.organization(organization_id)) as session:
        session.add(
            OfflineConversion(
                conversion_id=conversion_id,
                organization_id=organization_id,
                lead_id=lead_id,
                fbclid="IwAR0e2eClick",
                fbc=f"fb.1.{int((now - timedelta(days=2)).timestamp() * 1000)}.IwAR0e2eClick",
                clicked_at=now - timedelta(days=2),
                conversion_value=Decimal(value),
                conversion_currency="BRL",
                conversion_date=now - timedelta(hours=3),
                conversion_name=name,
                order_id=str(conversion_id),
                origin="api",
                sync_status={platform: status for platform, (status, _) in syncs.items()},
            )
        )
        await session.flush()
        for platform, (status, reason) in syncs.items():
            session.add(
                ConversionSync(
                    conversion_id=conversion_id,
                    platform=platform,
                    organization_id=organization_id,
                    status=status,
                    reason=reason,
                    attempts=1 if status in ("sent", "failed") else 0,
                    last_attempt_at=now - timedelta(hours=2) if status != "expired" else None,
                    sent_at=now - timedelta(hours=2) if status == "sent" else None,
                )
            )
        for attempt in log:
            session.add(
                PlatformSyncLog(
                    organization_id=organization_id,
                    conversion_id=conversion_id,
                    batch_id=uuid7(),
                    synced_at=now - timedelta(hours=2),
                    **attempt,
                )
            )
    return str(conversion_id)


def _meta_request(conversion_name: str) -> dict[str, Any]:
    return {
        "data": [
            {
                "event_name": "Purchase",
                "event_id": "order",
                "action_source": "system_generated",
                "user_data": {"em": [HASHED_EMAIL], "fbc": "fb.1.1700000000000.IwAR0e2eClick"},
                "custom_data": {
                    "value": 1500.0,
                    "currency": "BRL",
                    "content_name": conversion_name,
                },
            }
        ]
    }


@pytest_asyncio.fixture(loop_scope="session")
async def seeded(databases, seeded_admin):  # type: ignore[no-untyped-def]
    """A lead about to be won, and two conversions whose Meta delivery failed / was sent."""
    org = seeded_admin.organization_id
    (won,) = await make_leads(
        databases, org, 1, stage="negotiation", name="Wanda Ganho", campaign="blackfriday"
    )
    (failing,) = await make_leads(
        databases, org, 1, stage="won", name="Fabio Falha", campaign="blackfriday"
    )
    (sent,) = await make_leads(databases, org, 1, stage="won", name="Sara Sent", campaign="natal")
    failed_id = await _conversion(
        databases,
        org,
        failing.lead_id,
        name="purchase",
        value="1500.00",
        syncs={
            "meta": ("failed", f"Meta rejected the event: {META_ERROR}"),
            "google": ("expired", "The click is 120 days before the conversion."),
        },
        log=[
            {
                "platform": "meta",
                "attempt": 1,
                "sync_status": "failed",
                "request_payload": _meta_request("purchase"),
                "response_data": {"error": {"message": META_ERROR, "code": 100}},
                "error_message": META_ERROR,
                "http_status_code": 400,
            }
        ],
    )
    sent_id = await _conversion(
        databases,
        org,
        sent.lead_id,
        name="contract_signed",
        value="800.00",
        syncs={"meta": ("sent", None)},
        log=[
            {
                "platform": "meta",
                "attempt": 1,
                "sync_status": "success",
                "request_payload": _meta_request("contract_signed"),
                "response_data": {"events_received": 1, "fbtrace_id": "AbCdE2e"},
                "error_message": None,
                "http_status_code": 200,
            }
        ],
    )
    return Seeded(won_lead=str(won.lead_id), failed=failed_id, sent=sent_id)


def delivery(crm_url: str, conversion_id: str, platform: str) -> tuple[str, int, str, int]:
    """A delivery's status and attempts, the conversion's status map entry, and the sync
    jobs queued — read straight from the CRM database."""
    with psycopg.connect(crm_url, autocommit=True) as conn:
        conn.execute("SELECT set_config('rastro.scope', 'system', false)")
        row = conn.execute(
            "SELECT s.status, s.attempts, c.sync_status ->> %s FROM offline_conversion_syncs s "
            "JOIN offline_conversions c USING (conversion_id) "
            "WHERE s.conversion_id = %s AND s.platform = %s",
            (platform, conversion_id, platform),
        ).fetchone()
        assert row is not None
        jobs = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'conversions:sync_organization'"
        ).fetchone()
        assert jobs is not None
    return str(row[0]), int(row[1]), str(row[2]), int(jobs[0])


def settings_windows(crm_url: str) -> dict[str, int] | None:
    with psycopg.connect(crm_url, autocommit=True) as conn:
        conn.execute("SELECT set_config('rastro.scope', 'system', false)")
        row = conn.execute("SELECT windows FROM conversion_settings").fetchone()
    return None if row is None else dict(row[0])


def test_conversions_pages(
    live_server: Any,
    test_databases: Any,
    seeded_admin: Any,
    other_org_user: Any,
    seeded: Seeded,
    browser: Browser,
    page: Page,
    shot: Shots,
) -> None:
    base = live_server.base_url
    crm_url = test_databases.crm_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    won = httpx.post(
        f"{base}/api/leads/{seeded.won_lead}/stages",
        json={"stage_name": "won", "stage_value": "2500.00"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert won.status_code == 201, won.text

    login(page, base, seeded_admin.email, seeded_admin.password)
    page.get_by_role("navigation").first.get_by_role("link", name="Conversões").click()
    page.wait_for_url(re.compile(r".*/conversions$"))
    visit(page, base, "/conversions")
    main = page.locator("main")
    rows = main.locator("[data-testid=conversion-row]")
    expect(rows).to_have_count(3)
    won_row = rows.filter(has_text="Wanda Ganho")
    expect(won_row).to_contain_text("2.500,00")
    expect(won_row).to_contain_text("Lead ganho")
    # No Meta account in this organization: the won lead's conversion has nothing to send to.
    expect(won_row.locator("[data-testid=platform-chip][data-platform=meta]")).to_have_text(
        re.compile("Meta.*Não se aplica")
    )
    failed_row = rows.filter(has_text="Fabio Falha")
    failed_chip = failed_row.locator("[data-testid=platform-chip][data-platform=meta]")
    expect(failed_chip).to_have_text(re.compile("Meta.*Falhou"))
    expect(failed_row.locator("[data-platform=google]")).to_have_text(re.compile("Expirada"))
    expect(rows.filter(has_text="Sara Sent").locator("[data-platform=meta]")).to_have_text(
        re.compile("Enviada")
    )
    failed_chip.hover()
    expect(page.locator("[data-testid=platform-chip-tip]")).to_contain_text(
        "event_time is too far in the past"
    )
    shot(page, "list")

    # The health card: one success and one failure in the last 24 hours, nothing queued;
    # no Meta credential in this organization, so it is not configured (not "Operando").
    card = main.locator("[data-testid=health-card][data-platform=meta]")
    expect(card.locator("[data-testid=health-state]")).to_have_text("Não configurada")
    expect(card.locator("[data-testid=breaker-state]")).to_have_count(0)
    expect(card.locator("[data-testid=error-rate]")).to_contain_text("50%")
    expect(card.locator("[data-testid=error-rate]")).to_contain_text("1 de 2 tentativas")
    expect(card.locator("[data-testid=queue-length]")).to_have_text("0")

    # Filters live in the URL.
    main.get_by_label("Status", exact=True).select_option("failed")
    page.wait_for_url(re.compile(r".*[?&]status=failed"))
    expect(rows).to_have_count(1)
    main.get_by_label("Plataforma", exact=True).select_option("meta")
    page.wait_for_url(re.compile(r".*platform=meta"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Fabio Falha")
    shot(page, "list-failed-meta")

    # --- the failed conversion: its sync log, then "retry now" ------------------------
    rows.first.locator("[data-testid=conversion-link]").click()
    page.wait_for_url(re.compile(rf".*/conversions/{seeded.failed}$"))
    entries = main.locator("[data-testid=sync-log-entry]")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("HTTP 400")
    expect(entries.first).to_contain_text("Falhou")
    entries.first.locator("summary").click()
    request_json = entries.first.locator("[data-testid=json-block]").first
    expect(request_json).to_be_visible()
    expect(request_json).to_contain_text(HASHED_EMAIL)
    assert "Fabio" not in request_json.inner_text()
    expect(entries.first.locator("[data-testid=json-block]").nth(1)).to_contain_text('"code": 100')
    shot(page, "sync-log")

    assert delivery(crm_url, seeded.failed, "meta")[:3] == ("failed", 1, "failed")
    meta_row = main.locator("[data-testid=delivery-row][data-platform=meta]")
    with page.expect_response(
        lambda r: (
            r.url.endswith(f"/api/conversions/{seeded.failed}/retry") and r.request.method == "POST"
        )
    ) as retried:
        meta_row.locator("[data-testid=delivery-retry]").click()
    assert retried.value.status == 200, retried.value.text()
    expect(meta_row.locator("[data-testid=platform-chip]")).to_have_text(re.compile("Pendente"))
    status, attempts, in_map, jobs = delivery(crm_url, seeded.failed, "meta")
    assert (status, attempts, in_map) == ("pending", 0, "pending")
    assert jobs >= 1, "retry now queues a sync job"
    # The expired Google delivery has nothing to retry.
    expect(main.locator("[data-testid=delivery-row][data-platform=google] button")).to_have_count(0)
    shot(page, "retried")

    # --- the sent conversion: "send again" asks first --------------------------------
    visit(page, base, f"/conversions/{seeded.sent}")
    sent_row = main.locator("[data-testid=delivery-row][data-platform=meta]")
    sent_row.locator("[data-testid=delivery-resend]").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("deduplica")
    expect(dialog).to_contain_text(seeded.sent)
    shot(page, "resend-confirm")
    dialog.get_by_role("button", name="Cancelar").click()
    assert delivery(crm_url, seeded.sent, "meta")[0] == "sent"
    sent_row.locator("[data-testid=delivery-resend]").click()
    with page.expect_response(
        lambda r: r.url.endswith(f"/api/conversions/{seeded.sent}/resend")
    ) as resent:
        page.get_by_role("alertdialog").get_by_role("button", name="Enviar de novo").click()
    assert resent.value.status == 200, resent.value.text()
    expect(sent_row.locator("[data-testid=platform-chip]")).to_have_text(re.compile("Pendente"))
    assert delivery(crm_url, seeded.sent, "meta")[:3] == ("pending", 0, "pending")

    # The health card counts the queue.
    visit(page, base, "/conversions")
    expect(card.locator("[data-testid=queue-length]")).to_have_text("2")
    shot(page, "list-after")

    # --- the lead page links to the lead's conversions --------------------------------
    visit(page, base, f"/leads/{seeded.won_lead}")
    main.locator("[data-testid=lead-conversions-link]").click()
    page.wait_for_url(re.compile(rf".*/conversions\?lead_id={seeded.won_lead}$"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Wanda Ganho")
    expect(main.locator("[data-testid=lead-filter]")).to_be_visible()

    # --- settings: a shorter Meta window ----------------------------------------------
    tabs = page.get_by_role("navigation", name="Seções de conversões")
    tabs.get_by_role("link", name="Configurações").click()
    page.wait_for_url(re.compile(r".*/conversions/settings$"))
    assert settings_windows(crm_url) in (None, {})
    page.locator("[data-testid=window-meta]").fill("7")
    with page.expect_response(lambda r: r.url.endswith("/api/conversions/settings")) as saved:
        page.locator("[data-testid=settings-save]").click()
    assert saved.value.status == 200, saved.value.text()
    assert settings_windows(crm_url) == {"meta": 7}
    shot(page, "settings")

    # --- another organization sees none of it -----------------------------------------
    other_ctx = new_context(browser)
    try:
        other = other_ctx.new_page()
        watched = Watched(other)
        login(other, base, other_org_user.email, other_org_user.password)
        forbidden = ["Wanda Ganho", "Fabio Falha", "Sara Sent", HASHED_EMAIL]
        visit(other, base, "/conversions")
        expect(other.locator("main [data-testid=empty-state]")).to_be_visible()
        expect(other.locator("main [data-testid=conversion-row]")).to_have_count(0)
        shot(other, "other-list")
        html = other.content()
        for needle in forbidden:
            assert needle not in html, f"{needle!r} of the first organization is on the list"
        visit(other, base, f"/conversions/{seeded.failed}")
        expect(other.locator("main [role=alert]")).to_be_visible()
        shot(other, "other-detail")
        html = other.content()
        for needle in forbidden:
            assert needle not in html, f"{needle!r} of the first organization is visible"
        watched.check()
    finally:
        other_ctx.close()
