"""The API documentation pages load everything from Rastro itself (no CDN)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}


def referenced_urls(html: str) -> list[str]:
    """Every URL a page loads or links: src/href attributes and quoted URLs in its scripts."""
    attributes = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    in_scripts = re.findall(r"""(?:url|spec-url)\s*[:=]\s*['"]([^'"]+)['"]""", html)
    return [*attributes, *in_scripts]


@pytest.mark.parametrize(
    ("page", "marker"), [("/api/docs", "SwaggerUIBundle"), ("/api/redoc", "<redoc")]
)
async def test_the_docs_pages_load_only_local_assets(client, page, marker):
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert marker in html
    urls = referenced_urls(html)
    assert any(u.endswith(".js") for u in urls), urls
    assert "/api/openapi.json" in urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme, f"{page} loads {url} from elsewhere"
        assert not parts.netloc, f"{page} loads {url} from elsewhere"
        asset = await client.get(url)
        assert asset.status_code == 200, url
        suffix = "." + parts.path.rsplit(".", 1)[-1]
        expected = CONTENT_TYPES[suffix]
        assert asset.headers["content-type"].startswith(expected), (url, asset.headers)
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", html), "an external URL"


async def test_redoc_may_show_images_from_rastro_only(client):
    """ReDoc's bundle asks its maker's CDN for a logo; the page's policy keeps it home."""
    response = await client.get("/api/redoc")
    assert response.headers["content-security-policy"] == "img-src 'self' data:"


async def test_the_docs_assets_are_cached_and_sent_compressed(client):
    page = await client.get("/api/docs")
    (script,) = [u for u in referenced_urls(page.text) if u.endswith("swagger-ui-bundle.js")]
    response = await client.get(script, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert b"SwaggerUIBundle" in response.content
