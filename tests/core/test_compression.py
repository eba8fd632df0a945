"""Compressed responses: the dashboard's pre-compressed files, gzip for large API answers,
and the negotiation both share."""

from __future__ import annotations

import gzip
import shutil
import subprocess

import brotli
import httpx
import pytest

from rastro.app import create_app
from rastro.config import REPO_ROOT
from rastro.core.compression import accepted_encodings, preferred_encoding, route_keys
from rastro.modules import load_modules

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


async def raw_get(
    http: httpx.AsyncClient, path: str, accept_encoding: str | None, **headers: str
) -> tuple[httpx.Response, bytes]:
    """A GET and its body as sent (httpx would otherwise decode it)."""
    if accept_encoding is not None:
        headers["accept-encoding"] = accept_encoding
    request = http.build_request("GET", path, headers=headers)
    if accept_encoding is None:
        del request.headers["accept-encoding"]
    response = await http.send(request, stream=True)
    raw = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return response, raw


def test_the_accepted_codings_honour_q_values():
    assert accepted_encodings("gzip, deflate, br, zstd") == {"gzip", "deflate", "br", "zstd"}
    assert accepted_encodings("br;q=0, GZIP;q=0.5") == {"gzip"}
    assert accepted_encodings("") == frozenset()
    assert preferred_encoding("gzip, br", ["gzip", "br"]) == "br"
    assert preferred_encoding("gzip, br;q=0", ["gzip", "br"]) == "gzip"
    assert preferred_encoding("br", ["gzip"]) is None
    assert preferred_encoding("identity", ["gzip", "br"]) is None


def test_the_hot_routes_are_left_uncompressed_and_only_for_their_method():
    keys = route_keys(route for module in load_modules() for route in module.hot_routes)
    assert ("POST", "/api/collect") in keys
    assert ("POST", "/api/leads") in keys
    assert ("GET", "/api/leads") not in keys  # the lead list is an ordinary API answer


@pytest.fixture(scope="module")
def built_dist(tmp_path_factory):
    """A dashboard build: a large script and a small one, compressed by the real build step."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (a prerequisite of the dashboard build)")
    dist = tmp_path_factory.mktemp("web") / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        "<!doctype html><html><head><script type=module src=/assets/index-abc123.js></script>"
        "</head><body><div id=root></div></body></html>"
    )
    bundle = "".join(f"export const label{i} = 'Visão geral {i}';\n" for i in range(4000))
    (dist / "assets" / "index-abc123.js").write_text(bundle)
    (dist / "assets" / "tiny-abc123.js").write_text("1")
    (dist / "assets" / "logo-abc123.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    (dist / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'>" + " " * 2000)
    script = REPO_ROOT / "web" / "scripts" / "compress.mjs"
    subprocess.run([node, str(script), str(dist)], check=True, capture_output=True)
    return dist


def test_the_build_step_writes_smaller_twins_of_text_files_only(built_dist):
    assets = built_dist / "assets"
    bundle = (assets / "index-abc123.js").read_bytes()
    assert brotli.decompress((assets / "index-abc123.js.br").read_bytes()) == bundle
    assert gzip.decompress((assets / "index-abc123.js.gz").read_bytes()) == bundle
    assert not (assets / "tiny-abc123.js.gz").exists()  # not smaller: not written
    assert not (assets / "logo-abc123.png.gz").exists()  # images are compressed already
    assert (built_dist / "index.html.br").exists()


@pytest.fixture
async def dashboard(built_dist, settings, databases):
    app = create_app(
        settings.model_copy(update={"web_dir": built_dist}),
        databases=databases,
        check_migrations=False,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        yield http


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("br;q=0, gzip", "gzip")],
)
async def test_the_main_bundle_is_sent_pre_compressed(dashboard, built_dist, accept, encoding):
    original = (built_dist / "assets" / "index-abc123.js").read_bytes()
    response, raw = await raw_get(dashboard, "/assets/index-abc123.js", accept)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == encoding
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert int(response.headers["content-length"]) == len(raw) < len(original) / 3
    assert DECODE[encoding](raw) == original
    # The compressed file's validator revalidates it.
    again, _ = await raw_get(
        dashboard, "/assets/index-abc123.js", accept, **{"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_a_client_that_accepts_no_coding_gets_the_plain_file(dashboard, built_dist):
    original = (built_dist / "assets" / "index-abc123.js").read_bytes()
    for accept in (None, "identity", "gzip;q=0, br;q=0"):
        response, raw = await raw_get(dashboard, "/assets/index-abc123.js", accept)
        assert "content-encoding" not in response.headers, accept
        assert response.headers["vary"] == "Accept-Encoding"
        assert int(response.headers["content-length"]) == len(raw)
        assert raw == original
    plain, _ = await raw_get(dashboard, "/assets/index-abc123.js", None)
    brotli_variant, _ = await raw_get(dashboard, "/assets/index-abc123.js", "br")
    assert plain.headers["etag"] != brotli_variant.headers["etag"]
    tiny, raw = await raw_get(dashboard, "/assets/tiny-abc123.js", "gzip, br")
    assert "content-encoding" not in tiny.headers
    assert raw == b"1"


async def test_top_level_files_and_the_page_are_sent_pre_compressed(dashboard, built_dist):
    favicon, raw = await raw_get(dashboard, "/favicon.svg", "br")
    assert favicon.headers["content-encoding"] == "br"
    assert favicon.headers["content-type"].startswith("image/svg+xml")
    assert brotli.decompress(raw) == (built_dist / "favicon.svg").read_bytes()
    page, raw = await raw_get(dashboard, "/settings/api-keys", "gzip")
    assert page.headers["content-encoding"] == "gzip"
    assert page.headers["cache-control"] == "no-cache"
    assert gzip.decompress(raw).startswith(b"<!doctype html>")
    # The twins themselves are no dashboard routes.
    twin = await dashboard.get("/favicon.svg.gz")
    assert twin.text.startswith("<!doctype html>")


async def test_large_api_answers_are_gzip_compressed_small_ones_not(client):
    document, raw = await raw_get(client, "/api/openapi.json", "gzip, deflate, br")
    assert document.status_code == 200
    assert document.headers["content-encoding"] == "gzip"
    assert document.headers["content-type"] == "application/json"
    assert "Accept-Encoding" in document.headers["vary"]
    assert int(document.headers["content-length"]) == len(raw)
    assert b'"openapi"' in gzip.decompress(raw)
    plain, raw = await raw_get(client, "/api/openapi.json", None)
    assert "content-encoding" not in plain.headers
    assert b'"openapi"' in raw
    health, raw = await raw_get(client, "/healthz", "gzip")
    assert "content-encoding" not in health.headers
    assert raw == b'{"status":"ok"}'


async def test_an_error_envelope_and_the_request_id_survive_compression(client):
    response, raw = await raw_get(client, "/api/does-not-exist", "gzip")
    assert response.status_code == 404
    assert response.headers["x-request-id"]
    assert b'"not_found"' in raw
