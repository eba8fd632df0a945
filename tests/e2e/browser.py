"""Shared pieces of the browser tests: Debian's Chromium driven by Playwright (sync API)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

CHROMIUM = os.environ.get("RASTRO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 15_000
DESKTOP_CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


def new_context(browser: Browser, **options: object) -> BrowserContext:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings: dict[str, object] = {"viewport": {"width": 1280, "height": 800}, "locale": "pt-BR"}
    settings.update(options)
    context = browser.new_context(**settings)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    return context


class Watched:
    """A page with its uncaught errors and JavaScript dialogs recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def check(self) -> None:
        assert not self.dialogs, f"a dialog opened (collected text ran as code?): {self.dialogs}"
        assert not self.errors, f"uncaught errors in the page: {self.errors}"


class Shots:
    """Full-page screenshots, numbered in visiting order, prefixed by the test name."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.n = 0

    def __call__(self, page: Page, name: str) -> None:
        self.n += 1
        page.screenshot(
            path=str(ARTIFACTS / f"{self.prefix}-{self.n:02d}-{name}.png"), full_page=True
        )


def wait_loaded(page: Page) -> None:
    """Wait until the route chunks and their queries have loaded (no spinner in <main>)."""
    page.wait_for_selector("main", state="visible")
    # expect()'s own default is 5 s, not the context's: a 2-core CI machine running the
    # suite on two workers can take longer to answer a report.
    expect(page.locator("main [data-testid=loading]")).to_have_count(0, timeout=TIMEOUT_MS)


def login(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/")
    page.wait_for_url(re.compile(r".*/login$"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    # The landing route: the analytics Overview (or "/" for a user who may not read reports).
    page.wait_for_url(re.compile(r"^[^?#]*://[^/]+/(analytics)?$"))
    expect(page.locator("[data-testid=user-menu]")).to_be_visible()
    wait_loaded(page)


def visit(page: Page, base_url: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    wait_loaded(page)
