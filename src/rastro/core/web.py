"""Serves the built dashboard: hashed assets cached for a year, `index.html` never cached,
each file as its pre-compressed `.br` or `.gz` twin (written by `npm run build`) when the
client accepts one."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Scope

from rastro.core.compression import SUFFIXES, preferred_encoding
from rastro.core.errors import NotFound

RESERVED_PREFIXES = ("api/", "socket.io", "healthz", "readyz", "t.js")


def precompressed_response(
    path: Path,
    request_headers: Headers,
    headers: Mapping[str, str] | None = None,
    stat_result: os.stat_result | None = None,
) -> FileResponse:
    """`path`, or its `.br`/`.gz` twin when there is one the client accepts.

    Length, ETag and Last-Modified are the sent file's (set here, so that a caller can
    compare validators before sending); the content type is the original's.
    """
    twins: dict[str, tuple[Path, os.stat_result]] = {}
    for coding, suffix in SUFFIXES.items():
        twin = path.with_name(path.name + suffix)
        try:
            twins[coding] = (twin, os.stat(twin))
        except (FileNotFoundError, NotADirectoryError):
            continue
    extra = {**(headers or {}), "vary": "Accept-Encoding"} if twins else headers
    encoding = preferred_encoding(request_headers.get("accept-encoding", ""), twins)
    if encoding is None:
        return FileResponse(path, headers=extra, stat_result=stat_result or os.stat(path))
    twin, twin_stat = twins[encoding]
    return FileResponse(
        twin,
        media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        headers={**(extra or {}), "content-encoding": encoding},
        stat_result=twin_stat,
    )


class ImmutableStaticFiles(StaticFiles):
    """Hashed assets: cached for a year, sent pre-compressed when the client accepts it."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        request_headers = Headers(scope=scope)
        response = precompressed_response(
            Path(full_path),
            request_headers,
            {"cache-control": "public, max-age=31536000, immutable"},
            stat_result,
        )
        if self.is_not_modified(response.headers, request_headers):
            return NotModifiedResponse(response.headers)
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
    compressed = tuple(SUFFIXES.values())
    top_level = {
        p.name: p
        for p in dist.iterdir()
        if p.is_file() and p.name != "index.html" and not p.name.endswith(compressed)
    }

    @app.get("/{path:path}", include_in_schema=False)
    async def dashboard(path: str, request: Request) -> FileResponse:
        if path.startswith(RESERVED_PREFIXES):
            raise NotFound()
        if path in top_level:
            return precompressed_response(top_level[path], request.headers)
        return precompressed_response(index, request.headers, {"cache-control": "no-cache"})

    return True
