"""A member invitation e-mailed and accepted in Chromium (issue 20, item 11): the admin
invites an address from Settings → Members, the job worker sends the mail over SMTP to a
local server, and the invited person opens the link from the mail, creates an account
and lands in the inviting organization. A forgotten password is then reset through the
e-mailed link, the same way."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect

from rastro.app import create_asgi
from rastro.config import REPO_ROOT, Settings
from rastro.runtime import make_databases
from tests.conftest import free_port
from tests.e2e.browser import Shots, Watched, login, new_context, visit, wait_loaded
from tests.fakes.smtp import FakeSmtpServer
from tests.helpers import drain_jobs


@dataclass(frozen=True)
class MailServer:
    base_url: str
    settings: Settings
    smtp: FakeSmtpServer


@pytest.fixture
def mail_server(settings: Settings) -> Iterator[MailServer]:
    """Rastro on 127.0.0.1 with its own e-mails sent over SMTP to a local server."""
    web_dir = REPO_ROOT / "web" / "dist"
    if not (web_dir / "index.html").is_file():
        pytest.fail("web/dist is not built: run `make web` (the test command builds it)")
    smtp = FakeSmtpServer().start()
    port = free_port()
    server_settings = settings.model_copy(
        update={
            "web_dir": web_dir,
            "port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "mail_sender": "smtp",
            "mail_smtp_port": smtp.port,
            "mail_smtp_security": "none",
            "mail_from_address": "no-reply@rastro.example",
        }
    )
    config = uvicorn.Config(
        create_asgi(server_settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    yield MailServer(f"http://127.0.0.1:{port}", server_settings, smtp)
    server.should_exit = True
    thread.join(timeout=10)
    smtp.stop()


def _run_mail_jobs(settings: Settings) -> None:
    """What `rastro worker` does with the queued mail jobs, in a thread of its own (the
    sync Playwright API keeps this thread's event loop busy)."""

    async def run() -> None:
        databases = make_databases(settings)
        try:
            await drain_jobs(settings, databases, queues=["mail"])
        finally:
            await databases.dispose()

    worker = threading.Thread(target=lambda: asyncio.run(run()))
    worker.start()
    worker.join(timeout=60)


def _link_in_last_mail(server: MailServer, to: str, path: str) -> str:
    received = [r for r in server.smtp.received if r.rcpt_to == [to]]
    assert received, "no mail was sent to the address"
    body = received[-1].message.get_body(("plain",))
    assert body is not None
    found = re.search(rf"{re.escape(server.base_url)}{path}#[A-Za-z0-9_\-]+", body.get_content())
    assert found, body.get_content()
    return found.group(0)


def test_an_invited_member_accepts_from_the_email(
    mail_server: MailServer, seeded_admin: Any, browser: Browser, shot: Shots
) -> None:
    base = mail_server.base_url
    invitee = f"convidada-{uuid.uuid4().hex[:8]}@example.com"

    admin_context = new_context(browser)
    admin = admin_context.new_page()
    watched_admin = Watched(admin)
    login(admin, base, seeded_admin.email, seeded_admin.password)
    visit(admin, base, "/settings/members")
    admin.get_by_role("button", name="Convidar membro").first.click()
    admin.get_by_label("E-mail").fill(invitee)
    admin.get_by_role("dialog").get_by_role("button", name="Convidar membro").click()
    expect(
        admin.get_by_role("status").filter(has_text="Convite enviado por e-mail")
    ).to_contain_text(invitee)
    # no link is shown to the admin: only the invited address gets it
    expect(admin.locator("[data-testid=invitation-link]")).to_have_count(0)
    expect(admin.locator("[data-testid=invitation-row]")).to_contain_text(invitee)
    shot(admin, "invited")

    _run_mail_jobs(mail_server.settings)
    link = _link_in_last_mail(mail_server, invitee, "/invitation")

    # The invited person, in a browser of their own, opens the link from the mail.
    guest_context = new_context(browser)
    guest = guest_context.new_page()
    watched_guest = Watched(guest)
    guest.goto(link)
    expect(guest.locator("[data-testid=invitation-offer]")).to_have_text(
        f"{seeded_admin.organization_name} convida {invitee} para entrar como Analista."
    )
    shot(guest, "invitation-page")
    guest.get_by_label("Seu nome").fill("Clara Convidada")
    guest.get_by_label("Senha", exact=True).fill("a long enough password")
    guest.get_by_role("button", name="Criar conta e entrar").click()
    guest.wait_for_url(re.compile(r"^[^?#]*://[^/]+/(analytics)?$"))
    expect(guest.locator("[data-testid=current-org]")).to_have_text(seeded_admin.organization_name)
    wait_loaded(guest)
    shot(guest, "joined")

    # The link works once.
    guest_context.clear_cookies()
    guest.evaluate("window.localStorage.clear()")
    guest.goto(link)
    expect(guest.locator("[data-testid=invitation-invalid]")).to_contain_text(
        "não existe, expirou ou já foi respondido"
    )
    expect(guest.get_by_role("button", name="Criar conta e entrar")).to_have_count(0)

    # The admin sees the new member, no longer pending.
    visit(admin, base, "/settings/members")
    expect(admin.locator("[data-testid=member-row]").filter(has_text=invitee)).to_have_count(1)
    expect(admin.locator("[data-testid=invitation-row]")).to_have_count(0)
    shot(admin, "member-listed")
    watched_admin.check()
    watched_guest.check()
    admin_context.close()
    guest_context.close()


def test_a_forgotten_password_is_reset_from_the_email(
    mail_server: MailServer, seeded_admin: Any, page: Page, shot: Shots
) -> None:
    base = mail_server.base_url
    page.goto(f"{base}/login")
    page.get_by_role("link", name="Esqueci minha senha").click()
    page.wait_for_url(re.compile(r".*/forgot-password$"))
    # the route's chunk loads in a transition: the login form may still show until then
    expect(page.get_by_text("Redefinir sua senha")).to_be_visible()
    page.get_by_label("E-mail").fill(seeded_admin.email)
    page.get_by_role("button", name="Enviar link").click()
    expect(page.locator("[data-testid=reset-requested]")).to_be_visible()
    shot(page, "requested")

    _run_mail_jobs(mail_server.settings)
    link = _link_in_last_mail(mail_server, seeded_admin.email, "/reset-password")
    page.goto(link)
    page.get_by_label("Nova senha", exact=True).fill("my brand new passphrase")
    page.get_by_label("Repita a nova senha").fill("my brand new passphrase")
    page.get_by_role("button", name="Salvar nova senha").click()
    expect(page.locator("[data-testid=password-reset-done]")).to_be_visible()
    shot(page, "reset")
    login(page, base, seeded_admin.email, "my brand new passphrase")


def test_an_invited_account_signs_in_and_accepts(
    mail_server: MailServer, seeded_admin: Any, other_org_user: Any, page: Page, shot: Shots
) -> None:
    """Someone who already has an account joins only by accepting after signing in."""
    base = mail_server.base_url
    token = api_login(page, base, seeded_admin.email, seeded_admin.password)
    response = page.request.post(
        f"{base}/api/members",
        headers={"Authorization": f"Bearer {token}"},
        data={"email": other_org_user.email, "role": "viewer"},
    )
    assert response.status == 201
    assert response.json()["delivery"] == "email"
    _run_mail_jobs(mail_server.settings)
    link = _link_in_last_mail(mail_server, other_org_user.email, "/invitation")

    page.goto(link)
    page.get_by_role("link", name="Já tem uma conta? Entre e aceite o convite por lá.").click()
    page.wait_for_url(re.compile(r".*/login$"))
    page.fill("input[name=email]", other_org_user.email)
    page.fill("input[name=password]", other_org_user.password)
    page.click("button[type=submit]")
    panel = page.locator("[data-testid=my-invitations]")
    expect(panel).to_contain_text(seeded_admin.organization_name)
    shot(page, "pending")
    # still only in their own organization until they accept
    other_org = page.get_by_role("menuitemradio").filter(has_text=seeded_admin.organization_name)
    page.click("[data-testid=current-org]")
    expect(page.get_by_role("menuitemradio")).to_have_count(1)
    expect(other_org).to_have_count(0)
    page.keyboard.press("Escape")
    panel.get_by_role("button", name="Aceitar").click()
    expect(page.get_by_role("status").filter(has_text="Você entrou em")).to_contain_text(
        seeded_admin.organization_name
    )
    expect(panel).to_have_count(0)
    page.click("[data-testid=current-org]")
    expect(other_org).to_have_count(1)
    shot(page, "accepted")


def api_login(page: Page, base: str, email: str, password: str) -> str:
    response = page.request.post(
        f"{base}/api/auth/login", data={"email": email, "password": password}
    )
    assert response.status == 200
    return str(response.json()["access_token"])
