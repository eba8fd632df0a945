"""End-to-end test of the e-mail contacts import: an admin uploads a small CSV in the
wizard (E-mail → Contacts → Import CSV), keeps the guessed mapping, starts the import,
watches its progress end (the job drained as `rastro worker` would), downloads the skipped
rows and finds the contacts, in Portuguese, in the list — driven by Debian's Chromium
against the real app serving the built dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import Shots, login, visit
from tests.helpers import drain_jobs_in_thread

pytestmark = pytest.mark.e2e


def contacts_csv(tmp_path: Path) -> Path:
    path = tmp_path / "contatos.csv"
    path.write_text(
        "E-mail;Nome;Tags;Cidade\n"
        "ana@exemplo.com.br;Ana Souza;vip;Recife\n"
        "nao-e-email;Bruno;;\n"
        "bia@exemplo.com.br;Bia Lima;cliente;Natal\n"
        "ANA@exemplo.com.br;Ana repetida;;\n",
        encoding="utf-8",
    )
    return path


def test_a_csv_is_imported_through_the_wizard(
    live_server: Any, seeded_admin: Any, page: Page, shot: Shots, tmp_path: Path
) -> None:
    base = live_server.base_url
    login(page, base, seeded_admin.email, seeded_admin.password)
    visit(page, base, "/email/contacts")
    expect(page.get_by_text("Nenhum contato ainda")).to_be_visible()
    page.get_by_role("link", name="Importar CSV").first.click()
    page.set_input_files("[data-testid=import-file]", str(contacts_csv(tmp_path)))
    page.get_by_role("button", name="Enviar").click()

    form = page.locator("[data-testid=import-mapping-form]")
    expect(form).to_contain_text("contatos.csv: 4 linhas")
    expect(form.locator("[data-testid=map-email]")).to_have_value("E-mail")
    expect(form.locator("[data-testid=map-name]")).to_have_value("Nome")
    expect(form.locator("[data-testid=map-tags]")).to_have_value("Tags")
    expect(form.get_by_label("Nome do atributo para Cidade")).to_have_value("cidade")
    shot(page, "email-import-mapping")
    form.locator("[data-testid=import-start]").click()

    progress = page.locator("[data-testid=import-progress]")
    expect(progress).to_be_visible()
    drain_jobs_in_thread(live_server.settings, ["email"])
    expect(progress.locator("[data-testid=import-status]")).to_have_text("Concluída")
    expect(progress.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(progress.locator("[data-testid=import-rows]")).to_have_text("4 de 4 linhas")
    expect(progress.locator("[data-testid=import-created]")).to_have_text("2")
    expect(progress.locator("[data-testid=import-skipped]")).to_have_text("2")
    shot(page, "email-import-done")
    with page.expect_download() as download:
        progress.locator("[data-testid=import-errors-download]").click()
    saved = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert saved.splitlines() == ["row,code", "3,invalid_email", "5,duplicate_email"]

    page.get_by_role("link", name="Contatos", exact=True).click()
    rows = page.locator("[data-testid=email-contact-row]")
    expect(rows).to_have_count(2)
    expect(page.locator("[data-testid=email-contacts-total]")).to_have_text("2 contatos")
    expect(rows.filter(has_text="ana@exemplo.com.br")).to_contain_text("Ativo")
    expect(rows.filter(has_text="ana@exemplo.com.br")).to_contain_text("vip")
    shot(page, "email-contacts-list")
