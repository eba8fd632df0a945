"""The API's documentation pages, Swagger UI at /api/docs and ReDoc at /api/redoc, with
their scripts and styles served by Rastro itself: they work on a host with no internet.

The assets are the ones the `fastapi-offline` package ships (Swagger UI and ReDoc bundles);
only its files are used, the pages are FastAPI's own."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

DOCS_URL = "/api/docs"
REDOC_URL = "/api/redoc"
ASSETS_URL = "/api/docs/assets"
OAUTH2_REDIRECT_URL = "/api/docs/oauth2-redirect"
ASSETS = Path(str(files("fastapi_offline") / "static"))


class DocsAssets(StaticFiles):
    """The bundles change only with the package: a day in the browser's cache."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = "public, max-age=86400"
        return response


def mount_api_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc, for an app created with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_URL, DocsAssets(directory=ASSETS), name="api-docs-assets")
    openapi_url = app.openapi_url or "/api/openapi.json"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            # No badge that asks an online validator about the document.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        # ReDoc's sidebar shows its maker's logo from their CDN (and hides it when that
        # fails): images come from here only, so the page asks nothing of the internet.
        page.headers["content-security-policy"] = "img-src 'self' data:"
        return page
