"""The dashboard as served by Rastro, and the OpenAPI document its client is generated from."""

from __future__ import annotations

import json

import httpx

from rastro.app import create_app
from rastro.config import REPO_ROOT


def _dist(tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / ".vite").mkdir()
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / ".vite" / "manifest.json").write_text("{}")
    (dist / "favicon.svg").write_text("<svg/>")
    return dist


async def test_hashed_assets_are_cached_for_a_year_and_routes_fall_back_to_index(
    tmp_path, settings, databases
):
    app = create_app(
        settings.model_copy(update={"web_dir": _dist(tmp_path)}),
        databases=databases,
        check_migrations=False,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        asset = await http.get("/assets/index-abc123.js")
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        for path in ("/", "/settings/api-keys", "/.vite/manifest.json", "/../pyproject.toml"):
            page = await http.get(path)
            assert page.status_code == 200, path
            assert page.text.startswith("<!doctype html>"), path
            assert page.headers["cache-control"] == "no-cache"
        assert (await http.get("/favicon.svg")).text == "<svg/>"
        assert (await http.get("/assets/missing.js")).status_code == 404
        api = await http.get("/api/does-not-exist")
        assert api.status_code == 404
        assert api.json()["error"]["code"] == "not_found"


def test_the_dashboard_client_is_generated_from_the_current_api(settings, databases):
    """`make openapi` regenerates web/openapi.json; the dashboard's types come from it, so an
    endpoint change that the dashboard does not follow breaks `npm run build`."""
    current = create_app(settings, databases=databases, check_migrations=False).openapi()
    committed = json.loads((REPO_ROOT / "web" / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(current)), "run `make openapi`"
