"""Connect a Google Ads account in Chromium: the organization's app, the "Google Ads"
button, the platform's consent (a fake that approves at once), back on Settings >
Credentials to pick the customer id under its manager, and the credential active."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.browser import Shots, login, visit
from tests.e2e.test_crm_pages import api_token
from tests.fakes import ad_connect
from tests.fakes.ad_connect import FakeAdConnect


def test_connect_a_google_ads_account(
    live_server: Any, seeded_admin: Any, page: Page, shot: Shots
) -> None:
    base = live_server.base_url
    fake = FakeAdConnect().start()
    try:
        token = api_token(base, seeded_admin.email, seeded_admin.password)
        app = httpx.post(
            f"{base}/api/credentials",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "name": "Nosso app Google",
                "service": "google_oauth_app",
                "api_key": ad_connect.CLIENT_ID,
                "api_secret": ad_connect.CLIENT_SECRET,
                "api_url": fake.url,
                "settings": {
                    "developer_token": ad_connect.DEVELOPER_TOKEN,
                    "authorize_url": fake.url + "/o/oauth2/v2/auth",
                    "token_url": fake.url + "/token",
                },
            },
            timeout=15,
        )
        assert app.status_code == 201, app.text
        login(page, base, seeded_admin.email, seeded_admin.password)
        visit(page, base, "/settings/credentials")
        expect(page.locator("[data-testid=connect-accounts]")).to_contain_text(
            "Conectar uma conta de anúncios"
        )
        shot(page, "connect-buttons")
        page.click("[data-testid=connect-google]")
        # The fake consents at once and sends the browser back through our callback.
        page.wait_for_url(re.compile(r".*/settings/credentials\?connect=google&credential=.+"))
        picker = page.locator("[data-testid=account-picker]")
        expect(picker).to_be_visible()
        select = picker.locator("[data-testid=account-select]")
        expect(select.locator("option", has_text="Loja Cliente")).to_have_count(1)
        expect(
            select.locator("option", has_text=f"pela conta gerente {ad_connect.MANAGER}")
        ).to_have_count(1)
        shot(page, "connect-picker")
        select.select_option(ad_connect.CLIENT)
        picker.locator("[data-testid=account-pick]").click()
        expect(page.get_by_text("Conta conectada.", exact=True)).to_be_visible()
        row = page.locator("[data-testid=credential-row]", has_text="Loja Cliente")
        expect(row).to_contain_text("Ativo")
        expect(row.locator("[data-testid=reconnect-credential]")).to_be_visible()
        shot(page, "connect-done")
        listed = httpx.get(
            f"{base}/api/credentials?service=google_ads",
            headers={"Authorization": f"Bearer {token}"},
            timeout=15,
        ).json()
        (credential,) = listed["items"]
        assert credential["settings"]["customer_id"] == ad_connect.CLIENT
        assert credential["settings"]["login_customer_id"] == ad_connect.MANAGER
        assert ad_connect.REFRESH not in page.content()  # the token never reaches the page
    finally:
        fake.stop()
