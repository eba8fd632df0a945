"""The e-mail pages in Chromium (pt-BR): a template is written with its live preview, a
campaign is made from it for an audience, sent after confirmation, and its report shows the
funnel, the excluded (suppressed) contact and the link.

Contacts, the audience and a suppression are set up through the API (the contacts page is
another page's job); the e-mail queue is drained in a thread with its own event loop, as
`rastro worker` would, then the aggregates are recounted as their periodic job does.
"""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from rastro.core.jobs import JobContext, set_job_context
from rastro.runtime import make_databases
from tests.e2e.browser import Shots, login, visit, wait_loaded
from tests.e2e.test_crm_pages import api_token
from tests.helpers import drain_jobs

pytestmark = pytest.mark.e2e

HTML = (
    "<html><body><p>Olá {{ name }}, a oferta chegou.</p>"
    '<p><a href="https://loja-email.example.com/oferta">Ver a oferta</a></p>'
    "</body></html>"
)


def _setup(base: str, token: str) -> None:
    """Three recipients on one list, one of them suppressed."""
    with httpx.Client(
        base_url=f"{base}/api/email", headers={"Authorization": f"Bearer {token}"}, timeout=15
    ) as http:
        rows = [
            {"email": "ana@cliente-e2e.com.br", "name": "Ana Souza"},
            {"email": "bia@cliente-e2e.com.br", "name": "Bia Lima"},
            {"email": "caio@cliente-e2e.com.br", "name": "Caio Reis"},
        ]
        assert http.post("/contacts/import", json={"contacts": rows}).status_code == 200
        ids = [c["contact_id"] for c in http.get("/contacts?page_size=50").json()["items"]]
        audience = http.post("/audiences", json={"name": "Clientes E2E"}).json()
        added = http.post(
            f"/audiences/{audience['audience_id']}/contacts", json={"contact_ids": ids}
        )
        assert added.json() == {"added": 3}
        suppressed = http.post("/suppressions", json={"email": "caio@cliente-e2e.com.br"})
        assert suppressed.status_code == 201, suppressed.text


def _run_email_jobs(settings: Any) -> None:
    """Generate and send (the e-mail queue), then recount the campaign's aggregates."""
    from rastro.email.jobs import refresh_aggregates

    async def run() -> None:
        databases = make_databases(settings)
        try:
            await drain_jobs(settings, databases, queues=["email"])
            set_job_context(JobContext(databases=databases, settings=settings))
            try:
                await refresh_aggregates(0)
            finally:
                set_job_context(None)
        finally:
            await databases.dispose()

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the e-mail queue did not drain"
    if errors:
        raise errors[0]


def _fits_the_phone(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


def test_template_campaign_and_report(
    live_server: Any, seeded_admin: Any, page: Page, shot: Shots
) -> None:
    base = live_server.base_url
    _setup(base, api_token(base, seeded_admin.email, seeded_admin.password))
    login(page, base, seeded_admin.email, seeded_admin.password)

    # --- a template, previewed as a contact would get it ---------------------------------
    visit(page, base, "/email/templates")
    expect(page.get_by_test_id("empty-state")).to_contain_text("Nenhum modelo ainda")
    page.get_by_test_id("template-new").first.click()
    page.get_by_test_id("template-name").fill("Boas-vindas E2E")
    page.get_by_test_id("content-subject").fill("Oferta para {{ first_name }}")
    page.get_by_test_id("content-html").fill(HTML)
    frame = page.get_by_test_id("content-preview")
    expect(frame).to_have_attribute("sandbox", "")
    expect(frame).to_have_attribute("srcdoc", re.compile("Olá Maria Silva, a oferta chegou"))
    expect(page.get_by_test_id("preview-subject")).to_have_text("Oferta para Maria")
    rendered = page.frame_locator("[data-testid=content-preview]").locator("body")
    expect(rendered).to_contain_text("Olá Maria Silva, a oferta chegou.")
    shot(page, "template")
    page.get_by_test_id("template-save").click()
    expect(page.get_by_role("heading", name="Boas-vindas E2E")).to_be_visible()
    page.wait_for_url(re.compile(r".*/email/templates/[0-9a-f-]{36}$"))

    # --- a campaign from it, for the list -------------------------------------------------
    visit(page, base, "/email/campaigns")
    expect(page.get_by_test_id("empty-state")).to_contain_text("Nenhuma campanha ainda")
    page.get_by_test_id("campaign-new").first.click()
    wait_loaded(page)
    page.get_by_test_id("campaign-name").fill("Lançamento E2E")
    page.get_by_test_id("campaign-from-name").fill("Loja E2E")
    page.get_by_test_id("campaign-from-address").fill("news@loja-email.example.com")
    page.get_by_test_id("campaign-template").select_option(label="Boas-vindas E2E")
    expect(page.get_by_test_id("content-html")).to_have_value(HTML)
    page.get_by_role("checkbox", name="Clientes E2E").click()
    shot(page, "campaign-new")
    page.get_by_test_id("campaign-save").click()
    page.wait_for_url(re.compile(r".*/email/campaigns/[0-9a-f-]{36}$"))
    actions = page.get_by_test_id("campaign-actions")
    expect(actions.get_by_test_id("campaign-status")).to_have_text("Rascunho")

    # --- sent after confirmation -------------------------------------------------------
    page.get_by_test_id("action-send").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Cerca de 3 contatos")
    dialog.get_by_role("button", name="Enviar agora").click()
    expect(actions.get_by_test_id("campaign-status")).to_have_text("Enviando")
    expect(page.get_by_test_id("campaign-name")).to_be_disabled()
    _run_email_jobs(live_server.settings)
    # The page follows the campaign by itself until it settles.
    expect(actions.get_by_test_id("campaign-status")).to_have_text("Enviada", timeout=15_000)
    expect(page.get_by_test_id("generation-progress")).to_contain_text("2 mensagens · 1 excluídos")
    shot(page, "campaign-sent")

    # --- its report --------------------------------------------------------------------
    page.get_by_test_id("open-report").click()
    page.wait_for_url(re.compile(r".*/email/campaigns/[0-9a-f-]{36}/report$"))
    wait_loaded(page)
    expect(page.get_by_role("heading", name="Relatório: Lançamento E2E")).to_be_visible()
    expect(page.get_by_test_id("funnel-sent")).to_contain_text("Enviados2")
    expect(page.get_by_test_id("report-exclusions")).to_contain_text("Suprimidos1")
    links = page.get_by_test_id("report-links")
    expect(links).to_contain_text("https://loja-email.example.com/oferta")
    expect(page.get_by_test_id("report-chart")).to_be_visible()
    shot(page, "report")

    # --- the list, on a phone ----------------------------------------------------------
    page.set_viewport_size({"width": 390, "height": 844})
    visit(page, base, "/email/campaigns")
    row = page.get_by_test_id("campaigns-table").get_by_test_id("report-row")
    expect(row).to_contain_text("Lançamento E2E")
    expect(row.get_by_test_id("campaign-status")).to_have_text("Enviada")
    _fits_the_phone(page)
    shot(page, "campaigns-phone")
