"""Serves the built dashboard: hashed assets cached for a year, `index.html` never cached."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from rastro.core.errors import NotFound

RESERVED_PREFIXES = ("api/", "socket.io", "healthz", "readyz", "t.js")


class ImmutableStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["cache-control"] = "public, max-age=31536000, immutable"
        return response


def mount_dashboard(app: FastAPI, dist: Path) -> bool:
    """Mount `dist/` when it was built; returns whether it was."""
    index = dist / "index.html"
    if not index.is_file():
        return False
    if (dist / "assets").is_dir():
        app.mount("/assets", ImmutableStaticFiles(directory=dist / "assets"), name="assets")

    # Top-level files (favicon, robots.txt…) are listed once: no path from a URL ever
    # reaches the filesystem, so there is nothing to traverse.
    top_level = {p.name: p for p in dist.iterdir() if p.is_file() and p.name != "index.html"}

    @app.get("/{path:path}", include_in_schema=False)
    async def dashboard(path: str) -> FileResponse:
        if path.startswith(RESERVED_PREFIXES):
            raise NotFound()
        if path in top_level:
            return FileResponse(top_level[path])
        return FileResponse(index, headers={"cache-control": "no-cache"})

    return True
