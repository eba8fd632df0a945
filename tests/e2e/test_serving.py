"""Serving, as a browser finds it: the built dashboard's main bundle compressed, and the API
docs pages rendering their operations with nothing fetched from outside 127.0.0.1."""

from __future__ import annotations

import gzip
import re
from urllib.parse import urlsplit

import brotli
import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from rastro.config import REPO_ROOT
from tests.e2e.browser import ARTIFACTS

pytestmark = pytest.mark.e2e


def local_only(page: Page) -> list[str]:
    """Refuse every request that leaves 127.0.0.1; returns the list of those refused."""
    refused: list[str] = []

    def handle(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return refused


@pytest.mark.parametrize(("accept", "encoding"), [("gzip, deflate, br", "br"), ("gzip", "gzip")])
def test_the_built_main_bundle_is_sent_compressed(live_server, accept, encoding):
    index = httpx.get(f"{live_server.base_url}/").text
    (bundle,) = re.findall(r'src="(/assets/index-[^"]+\.js)"', index)
    with httpx.stream(
        "GET", f"{live_server.base_url}{bundle}", headers={"accept-encoding": accept}
    ) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == encoding
    assert int(response.headers["content-length"]) == len(raw)
    original = (REPO_ROOT / "web" / "dist" / bundle.lstrip("/")).read_bytes()
    decode = brotli.decompress if encoding == "br" else gzip.decompress
    assert decode(raw) == original
    assert len(raw) < len(original) / 2


def test_swagger_ui_renders_the_operations_offline(live_server, page):
    refused = local_only(page)
    page.goto(f"{live_server.base_url}/api/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=60_000)
    assert page.locator(".opblock").count() > 20
    expect(page.locator(".opblock-summary-path", has_text="/api/collect").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "serving-swagger-ui.png"))  # the top: pages are long
    assert refused == []


def test_redoc_renders_the_operations_offline(live_server, page):
    refused = local_only(page)
    page.goto(f"{live_server.base_url}/api/redoc")
    operations = page.locator("[data-section-id*='operation/']")
    # ReDoc parses its 1 MB bundle and lays out the whole API before showing anything: on a
    # busy 2-core runner that took over 30 s.
    expect(operations.first).to_be_attached(timeout=90_000)
    assert operations.count() > 20
    expect(page.get_by_text("/api/collect").first).to_be_attached()
    page.screenshot(path=str(ARTIFACTS / "serving-redoc.png"))
    assert refused == []
