"""The e-mail sequences pages in Chromium (pt-BR): the list, the editor's timeline, adding
an e-mail with a wait and a condition, activating; no English on the pages, and nothing
wider than a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser import Watched, login, new_context, visit
from tests.e2e.test_crm_pages import api_token
from tests.e2e.test_funnel_pages import _api
from tests.e2e.test_language import english_only

pytestmark = pytest.mark.e2e


def test_a_sequence_is_built_and_activated_in_chromium(
    live_server, seeded_admin, browser: Browser
) -> None:
    base = live_server.base_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    created = _api(
        base,
        token,
        "POST",
        "/api/email/sequences",
        {
            "name": "Boas-vindas E2E",
            "trigger": "lead_created",
            "from_name": "Loja",
            "from_address": "contato@loja.com.br",
            "exit_stages": ["won"],
        },
    )
    sid = created["sequence_id"]
    _api(
        base,
        token,
        "POST",
        f"/api/email/sequences/{sid}/steps",
        {"subject": "Bem-vindo!", "html": "<p>Olá {{ name }}</p>"},
    )
    context = new_context(browser)
    page = context.new_page()
    watched = Watched(page)
    english = english_only()
    try:
        login(page, base, seeded_admin.email, seeded_admin.password)
        visit(page, base, "/email/sequences")
        table = page.get_by_test_id("sequences-table")
        expect(table).to_contain_text("Boas-vindas E2E")
        expect(table).to_contain_text("Um lead é criado")
        table.get_by_role("link", name="Boas-vindas E2E").click()
        rows = page.get_by_test_id("step-row")
        expect(rows).to_have_count(1)
        expect(rows.nth(0)).to_contain_text("Enviado na hora")
        expect(page.get_by_test_id("exit-rules")).to_contain_text("o lead vai para Ganho")

        page.get_by_test_id("step-add").click()
        dialog = page.get_by_test_id("step-dialog")
        dialog.get_by_label("Espera antes do envio").fill("2")
        dialog.get_by_label("Enviar só se").select_option("not_opened")
        dialog.get_by_label("Assunto").fill("Ainda não viu?")
        dialog.get_by_label("Conteúdo (HTML)").fill('<p><a href="https://loja.com.br">Ver</a></p>')
        dialog.get_by_role("button", name="Adicionar e-mail").click()
        expect(rows).to_have_count(2)
        expect(rows.nth(1)).to_contain_text("Esperar 2 dias")
        expect(rows.nth(1)).to_contain_text("Só se não abriu o e-mail anterior")
        steps = _api(base, token, "GET", f"/api/email/sequences/{sid}")["steps"]
        assert (steps[1]["wait_minutes"], steps[1]["condition"]) == (
            2880,
            {"kind": "previous_email", "event": "not_opened"},
        )

        page.get_by_test_id("sequence-toggle").click()
        expect(page.get_by_test_id("sequence-toggle")).to_contain_text("Pausar")
        assert _api(base, token, "GET", f"/api/email/sequences/{sid}")["status"] == "active"
        text = page.locator("main").inner_text()
        assert [s for s in english if s in text] == []

        page.set_viewport_size({"width": 390, "height": 844})
        visit(page, base, f"/email/sequences/{sid}")
        expect(rows).to_have_count(2)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        visit(page, base, "/email/sequences")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        watched.check()
    finally:
        context.close()
