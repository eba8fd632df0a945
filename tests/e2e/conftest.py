"""Browser-test fixtures: accounts, Chromium, a context and a watched page.

The browser fixtures are function-scoped on purpose: the sync Playwright API keeps an event
loop running in this thread while the browser is open, so the (async) data fixtures must be
set up before it. Tests therefore list `live_server` and the account fixtures before
`browser` / `context` / `page`.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright import sync_api as playwright_sync
from playwright.sync_api import Browser, BrowserContext, Page

from tests.auth.factories import make_account
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, Shots, Watched, new_context


@pytest_asyncio.fixture(loop_scope="session")
async def seeded_admin(databases):  # type: ignore[no-untyped-def]
    return await make_account(databases, name="Ana Admin")


@pytest_asyncio.fixture(loop_scope="session")
async def other_org_user(databases):  # type: ignore[no-untyped-def]
    return await make_account(databases, name="Otto Other")


@pytest.fixture
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make e2e-deps` installs Debian's chromium")
    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    watched = Watched(page)
    yield page
    watched.check()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shots:
    return Shots(re.sub(r"\W+", "_", request.node.name))
