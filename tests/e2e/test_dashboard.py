"""End-to-end tests of the dashboard: the built `web/dist` served by the real Rastro app,
driven by Debian's Chromium through Playwright (sync API).

Every page visited is saved as a full-page screenshot under tests/e2e/artifacts/.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import Shots, login, visit, wait_loaded

pytestmark = pytest.mark.e2e

# Labels whose translation must change when the language changes.
SETTINGS_LABEL = {"pt-BR": "Configurações", "en": "Settings"}
# The landing route opens the analytics Overview; its nav section is "Relatórios"/"Analytics".
OVERVIEW_LABEL = {"pt-BR": "Relatórios", "en": "Analytics"}


def current_locale(page: Page) -> str:
    lang = page.evaluate("document.documentElement.lang")
    return "en" if str(lang).lower().startswith("en") else "pt-BR"


def api(page: Page, base_url: str, method: str, path: str, token: str, body: Any = None) -> Any:
    response = page.request.fetch(
        f"{base_url}{path}",
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        data=body,
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json() if response.status != 204 else None


def api_login(page: Page, base_url: str, email: str, password: str) -> str:
    response = page.request.post(
        f"{base_url}/api/auth/login", data={"email": email, "password": password}
    )
    assert response.ok, response.text()
    return str(response.json()["access_token"])


def create_credential_in_ui(page: Page, name: str, api_key: str, api_secret: str) -> None:
    page.click("[data-testid=add-credential]")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.locator("[data-testid=credential-service]").click()
    page.get_by_role("option").first.click()
    dialog.locator("input[name=name]").fill(name)
    dialog.locator("input[name=api_key]").fill(api_key)
    secret = dialog.locator("input[name=api_secret]")
    if secret.count() > 0:
        secret.fill(api_secret)
    settings = dialog.locator("input[name^='settings.']")
    for i in range(settings.count()):
        settings.nth(i).fill(f"setting-{i}-123")
    dialog.locator("[data-testid=credential-submit]").click()
    expect(page.get_by_role("dialog")).to_have_count(0)


# --- scenarios ---------------------------------------------------------------------------


def test_admin_journey(live_server: Any, seeded_admin: Any, page: Page, shot: Shots) -> None:
    base = live_server.base_url

    # Signed out: any page leads to the login form.
    page.goto(f"{base}/settings/api-keys")
    page.wait_for_url(re.compile(r".*/login$"))
    expect(page.locator("input[name=email]")).to_be_visible()
    shot(page, "login")

    # A wrong password is explained in plain words.
    page.fill("input[name=email]", seeded_admin.email)
    page.fill("input[name=password]", "definitely-not-the-password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_be_visible()
    shot(page, "login-error")

    login(page, base, seeded_admin.email, seeded_admin.password)
    expect(page.locator("[data-testid=current-org]")).to_have_text(seeded_admin.organization_name)
    expect(page.locator("main h1")).to_be_visible()
    shot(page, "overview")

    # --- API key: shown once, then only its prefix -------------------------------------
    visit(page, base, "/settings/api-keys")
    shot(page, "api-keys-empty")
    key_name = f"E2E key {uuid.uuid4().hex[:6]}"
    page.click("[data-testid=create-api-key]")
    dialog = page.get_by_role("dialog")
    dialog.locator("input[name=name]").fill(key_name)
    dialog.get_by_role("checkbox").first.click()
    dialog.locator("[data-testid=api-key-submit]").click()
    key_box = page.locator("[data-testid=new-api-key]")
    expect(key_box).to_be_visible()
    full_key = key_box.inner_text().strip()
    assert full_key.startswith("rk_"), full_key
    shot(page, "api-key-created")
    page.click("[data-testid=api-key-done]")
    expect(page.get_by_role("dialog")).to_have_count(0)
    row = page.locator("[data-testid=api-key-row]", has_text=key_name)
    expect(row).to_have_count(1)
    prefix = row.locator("[data-testid=api-key-prefix]").inner_text().rstrip("…").strip()
    assert prefix
    assert full_key.startswith(prefix)
    assert len(prefix) < len(full_key)
    assert full_key not in page.content()
    page.reload()
    wait_loaded(page)
    expect(page.locator("[data-testid=api-key-row]", has_text=key_name)).to_have_count(1)
    assert full_key not in page.content()
    shot(page, "api-keys-list")

    # --- credential: secret masked, never in the page ----------------------------------
    visit(page, base, "/settings/credentials")
    shot(page, "credentials-empty")
    cred_name = f"E2E credential {uuid.uuid4().hex[:6]}"
    raw_key = f"raw-key-{uuid.uuid4().hex}"
    raw_secret = f"raw-secret-{uuid.uuid4().hex}"
    create_credential_in_ui(page, cred_name, raw_key, raw_secret)
    cred_row = page.locator("[data-testid=credential-row]", has_text=cred_name)
    expect(cred_row).to_have_count(1)
    expect(cred_row).to_contain_text("••••")
    html = page.content()
    assert raw_secret not in html
    assert raw_key not in html
    # The edit form does not pre-fill the secrets either.
    cred_row.get_by_role("button").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert dialog.locator("input[name=api_key]").input_value() == ""
    if dialog.locator("input[name=api_secret]").count():
        assert dialog.locator("input[name=api_secret]").input_value() == ""
    html = page.content()
    assert raw_secret not in html
    assert raw_key not in html
    shot(page, "credential-edit")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    shot(page, "credentials-list")

    # --- members, profile, password pages render --------------------------------------
    visit(page, base, "/settings/members")
    expect(page.locator("[data-testid=member-row]", has_text=seeded_admin.email)).to_have_count(1)
    shot(page, "members")
    visit(page, base, "/settings/profile")
    shot(page, "profile")
    visit(page, base, "/settings/password")
    shot(page, "password")

    # --- language: pt-BR <-> en, stored on the user ------------------------------------
    visit(page, base, "/")
    before = current_locale(page)
    after = "en" if before == "pt-BR" else "pt-BR"
    nav = page.get_by_role("navigation").first
    expect(nav).to_contain_text(SETTINGS_LABEL[before])
    page.click("[data-testid=user-menu]")
    page.click(f"[data-testid=locale-{after}]")
    expect(nav).to_contain_text(SETTINGS_LABEL[after])
    expect(nav).not_to_contain_text(SETTINGS_LABEL[before])
    expect(nav).to_contain_text(OVERVIEW_LABEL[after])
    shot(page, f"overview-{after}")
    page.wait_for_load_state("networkidle")
    page.reload()
    wait_loaded(page)
    expect(page.get_by_role("navigation").first).to_contain_text(SETTINGS_LABEL[after])
    # And back.
    page.click("[data-testid=user-menu]")
    page.click(f"[data-testid=locale-{before}]")
    expect(page.get_by_role("navigation").first).to_contain_text(SETTINGS_LABEL[before])
    shot(page, f"overview-{before}")

    # --- dark theme ---------------------------------------------------------------------
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=theme-dark]")
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    # at once, maybe before the profile's save is answered: the choice holds
    visit(page, base, "/settings/credentials")
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    shot(page, "credentials-dark")
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=theme-light]")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bdark\b"))

    # --- small screen: the sidebar is a drawer -----------------------------------------
    page.set_viewport_size({"width": 375, "height": 740})
    visit(page, base, "/settings/api-keys")
    page.get_by_role("button", name=re.compile("navega|navigation", re.I)).click()
    drawer = page.get_by_role("dialog")
    expect(drawer).to_be_visible()
    shot(page, "mobile-drawer")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    shot(page, "mobile-api-keys")
    page.set_viewport_size({"width": 1280, "height": 800})

    # --- a new organization: created, switched to, and empty ---------------------------
    new_org = f"E2E org {uuid.uuid4().hex[:6]}"
    page.click("[data-testid=current-org]")
    page.click("[data-testid=create-organization]")
    page.get_by_role("dialog").locator("input[name=organization_name]").fill(new_org)
    page.get_by_role("dialog").locator("button[type=submit]").click()
    expect(page.locator("[data-testid=current-org]")).to_have_text(new_org)
    visit(page, base, "/settings/api-keys")
    expect(page.locator("[data-testid=empty-state]")).to_be_visible()
    assert key_name not in page.content()
    shot(page, "new-org-api-keys")
    # Back to the first organization through the switcher.
    page.click("[data-testid=current-org]")
    page.get_by_role(
        "menuitemradio", name=re.compile(re.escape(seeded_admin.organization_name))
    ).click()
    expect(page.locator("[data-testid=current-org]")).to_have_text(seeded_admin.organization_name)
    visit(page, base, "/settings/api-keys")
    expect(page.locator("[data-testid=api-key-row]", has_text=key_name)).to_have_count(1)

    # --- logout -------------------------------------------------------------------------
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url(re.compile(r".*/login$"))
    expect(page.locator("input[name=email]")).to_be_visible()
    shot(page, "logged-out")
    stored = page.evaluate("window.localStorage.getItem('rastro.access_token')")
    assert stored is None
    page.goto(f"{base}/settings/members")
    page.wait_for_url(re.compile(r".*/login$"))


def test_other_organization_sees_nothing(
    live_server: Any, seeded_admin: Any, other_org_user: Any, page: Page, shot: Shots
) -> None:
    base = live_server.base_url
    tag = uuid.uuid4().hex[:8]
    key_name = f"first-org-key-{tag}"
    cred_name = f"first-org-credential-{tag}"
    member_email = f"first-org-member-{tag}@example.com"

    # Data of the first organization, created through the API as its admin.
    token = api_login(page, base, seeded_admin.email, seeded_admin.password)
    scopes = api(page, base, "GET", "/api/api-keys/scopes", token)
    created_key = api(
        page,
        base,
        "POST",
        "/api/api-keys",
        token,
        {"name": key_name, "scopes": [scopes[0]["scope"]]},
    )
    services = api(page, base, "GET", "/api/credentials/services", token)
    service = services[0]
    cred_body: dict[str, Any] = {
        "name": cred_name,
        "service": service["service"],
        "api_key": f"first-org-raw-key-{tag}",
        "settings": {f["name"]: "12345" for f in service["settings_fields"]},
    }
    if service["needs_secret"]:
        cred_body["api_secret"] = f"first-org-raw-secret-{tag}"
    api(page, base, "POST", "/api/credentials", token, cred_body)
    api(
        page,
        base,
        "POST",
        "/api/members",
        token,
        {"email": member_email, "role": "viewer"},
    )

    forbidden = [
        key_name,
        created_key["api_key"]["prefix"],
        cred_name,
        member_email,
        seeded_admin.email,
        seeded_admin.organization_name,
    ]

    login(page, base, other_org_user.email, other_org_user.password)
    expect(page.locator("[data-testid=current-org]")).to_have_text(other_org_user.organization_name)
    pages = [
        "/",
        "/settings/members",
        "/settings/api-keys",
        "/settings/credentials",
        "/settings/profile",
    ]
    for path in pages:
        visit(page, base, path)
        shot(page, path.strip("/").replace("/", "-") or "overview")
        html = page.content()
        for needle in forbidden:
            assert needle not in html, f"{needle!r} of the first organization is visible on {path}"
    # The organization switcher lists only the user's own organizations.
    page.click("[data-testid=current-org]")
    menu = page.get_by_role("menu")
    expect(menu).to_be_visible()
    expect(menu).not_to_contain_text(seeded_admin.organization_name)
    shot(page, "org-switcher")
    page.keyboard.press("Escape")
