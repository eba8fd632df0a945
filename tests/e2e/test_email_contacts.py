"""End-to-end tests of the e-mail contacts page, driven by Debian's Chromium against the
real app serving the built dashboard (jobs drained as `rastro worker` would): a small CSV
imported through the wizard (guessed mapping, progress, skipped rows downloaded, the
contacts in the list, in Portuguese), and a subscription form's snippet pasted in another
site's page, submitted and confirmed (double opt-in)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from rastro.email.senders.base import OutgoingMail, SendResult
from rastro.email.senders.simulated import SimulatedSender
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


def test_double_opt_in_from_a_pasted_form(
    live_server: Any,
    seeded_admin: Any,
    page: Page,
    shot: Shots,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The form's snippet pasted in a page of another site: the browser posts it, lands on
    the thank-you page, the confirmation e-mail's link opens the page whose button
    confirms, and the contact shows as active with its confirmation in the list."""
    sent: list[OutgoingMail] = []

    async def send(self: SimulatedSender, mails: list[OutgoingMail]) -> list[SendResult]:
        sent.extend(mails)
        return [SendResult(m.message_id, "sent") for m in mails]

    monkeypatch.setattr(SimulatedSender, "send", send)
    base = live_server.base_url
    public = live_server.settings.public_url.rstrip("/")
    login(page, base, seeded_admin.email, seeded_admin.password)
    visit(page, base, "/email/contacts/forms")
    page.locator("[data-testid=add-subscription-form]").first.click()
    dialog = page.locator("[data-testid=subscription-form-dialog]")
    dialog.get_by_label("Nome", exact=True).fill("Newsletter da loja")
    dialog.get_by_label("E-mail de confirmação: nome do remetente").fill("Loja")
    dialog.get_by_label("E-mail de confirmação: endereço do remetente").fill("news@loja.com.br")
    dialog.get_by_role("button", name="Salvar").click()
    snippet = page.locator("[data-testid=form-snippet]")
    expect(snippet).to_contain_text('name="website"')
    shot(page, "email-form-snippet")
    html = snippet.input_value().replace(public, base)

    # A page of the customer's own site, with the snippet pasted in.
    page.route(
        "https://loja.example/newsletter",
        lambda route: route.fulfill(
            content_type="text/html; charset=utf-8",
            body=f"<!doctype html><html><body><h1>Loja</h1>{html}</body></html>",
        ),
    )
    page.goto("https://loja.example/newsletter")
    page.get_by_label("E-mail").fill("leitora@exemplo.com.br")
    page.get_by_label("Nome").fill("Leitora <b>Nova</b>")
    page.get_by_role("button", name="Inscrever-se").click()
    expect(page.locator("h1")).to_contain_text("Enviamos um e-mail para você confirmar")

    drain_jobs_in_thread(live_server.settings, ["email"])
    assert [mail.to for mail in sent] == ["leitora@exemplo.com.br"]
    assert sent[0].subject == "Confirme sua inscrição"
    link = re.search(r"(/e/confirm/[A-Za-z0-9_-]+)", sent[0].text)
    assert link is not None
    page.goto(f"{base}{link.group(1)}")
    page.get_by_role("button", name="Confirmar inscrição").click()
    expect(page.locator("h1")).to_have_text("Inscrição confirmada. Obrigado!")

    visit(page, base, "/email/contacts")
    row = page.locator("[data-testid=email-contact-row]").filter(has_text="leitora@exemplo.com.br")
    expect(row).to_contain_text("Ativo")
    expect(row).to_contain_text("Leitora <b>Nova</b>")  # shown as text, not markup
    expect(row).to_contain_text("pelo IP 127.0.0.1")
    shot(page, "email-contact-confirmed")
