"""A checkout platform's webhook URL, as Settings > Credentials shows it in Chromium, is the
one that takes the platform's sales: an Eduzz credential added, its URL copied from the
page, and an Eduzz invoice signed as Eduzz signs it posted there becomes a payment; the
same delivery under another signing key is refused."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.browser import Shots, login, visit
from tests.e2e.test_crm_pages import api_token
from tests.fakes.eduzz import EduzzInvoice

KEY = "eduzz-e2e-signing-key-0123456789"


def test_the_shown_webhook_url_takes_the_platforms_sales(
    live_server: Any, seeded_admin: Any, page: Page, shot: Shots
) -> None:
    base = live_server.base_url
    token = api_token(base, seeded_admin.email, seeded_admin.password)
    auth = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{base}/api/credentials",
        headers=auth,
        json={"name": "Eduzz da loja", "service": "eduzz", "api_key": KEY},
        timeout=15,
    )
    assert created.status_code == 201, created.text
    credential_id = created.json()["id"]

    login(page, base, seeded_admin.email, seeded_admin.password)
    visit(page, base, "/settings/credentials")
    row = page.locator("[data-testid=credential-row]", has_text="Eduzz da loja")
    shown = row.locator("[data-testid=platform-webhook-url]")
    expect(shown).to_contain_text("URL do webhook para colar na plataforma")
    url = shown.locator("code").inner_text().strip()
    assert url == f"{base}/api/payments/platforms/eduzz/{credential_id}"
    shot(page, "platform-webhook-url")

    invoice = EduzzInvoice(KEY, utm={"source": "facebook"})
    path = url.removeprefix(base)
    with httpx.Client(base_url=base, timeout=15) as client:
        forged = invoice.webhook(path, "myeduzz.invoice_paid", key="another-key")
        refused = client.post(path, content=forged.body, headers=forged.headers)
        assert refused.status_code == 401
        paid = invoice.webhook(path, "myeduzz.invoice_paid")
        answer = client.post(path, content=paid.body, headers=paid.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"] == [
        {"external_id": invoice.invoice_id, "outcome": "applied", "status": "paid"}
    ]
