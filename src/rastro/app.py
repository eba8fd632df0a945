"""The ASGI application: the API under /api, health checks, live updates, the dashboard."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy import text
from starlette.types import Receive, Scope, Send

import rastro
from rastro.auth.authenticator import TokenAuthenticator
from rastro.config import Settings
from rastro.core import migrations
from rastro.core.compression import CompressionMiddleware, route_keys
from rastro.core.db import Databases, libpq_url
from rastro.core.docs import mount_api_docs
from rastro.core.errors import DatabaseUnavailable, ServiceUnavailable, install_error_handlers
from rastro.core.live import LiveHub, PostgresManager
from rastro.core.logging import RequestContextMiddleware
from rastro.core.openapi import document_errors
from rastro.core.routing import PlainRoute, serve_direct
from rastro.core.security import Keyring
from rastro.core.web import mount_dashboard
from rastro.modules import load_modules
from rastro.runtime import ensure_migrated, make_databases, migration_status, role_bypasses_rls

log = structlog.get_logger(__name__)


class RastroApp(FastAPI):
    """FastAPI, with the hot routes marked `direct` served before the middleware stack
    (`rastro.core.routing.serve_direct`); every other request takes the usual way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.direct: dict[tuple[str, str], PlainRoute] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            route = self.direct.get((scope["method"], scope["path"]))
            if route is not None:
                scope["app"] = self
                await serve_direct(route, self.exception_handlers, scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    databases: Databases | None = None,
    check_migrations: bool = True,
    freeze_gc: bool = False,
) -> RastroApp:
    """Build the FastAPI app. `settings` must have its database URLs resolved.

    `freeze_gc` (server processes): once started, the objects made so far (modules, models,
    compiled statements) move out of the garbage collector's reach, so that its full
    collections, which otherwise walk all of them, stop pausing requests for tens of
    milliseconds."""
    expected_heads = {
        name: migrations.heads(name, url)  # type: ignore[arg-type]
        for name, url in (("crm", settings.crm_database_url), ("bi", settings.bi_database_url))
        if url
    }

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if check_migrations:
            await asyncio.to_thread(ensure_migrated, settings)
        own = databases is None
        if own:
            app.state.databases = make_databases(settings)
        if await role_bypasses_rls(app.state.databases.crm):
            log.warning(
                "rls_not_enforced",
                hint="the database role is a superuser or BYPASSRLS; connect as a plain role",
            )
        if freeze_gc:
            gc.collect()
            gc.freeze()
        yield
        await close_app(app)
        if own:
            await app.state.databases.dispose()

    app = RastroApp(
        title="Rastro",
        version=rastro.__version__,
        summary="First-party marketing tracking, attribution and offline conversions.",
        lifespan=lifespan,
        docs_url=None,  # served by `mount_api_docs`, without a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.closers = []  # coroutines that release what modules opened lazily
    app.state.keyring = Keyring(settings.encryption_key_value)
    app.state.authenticator = TokenAuthenticator(settings.secret_key_value)
    if databases is not None:
        app.state.databases = databases
    modules = load_modules()
    install_error_handlers(app)
    # The hot paths' and health checks' answers are small: they skip the compressor's
    # bookkeeping (`/healthz` is also the benchmarks' HTTP ceiling; see bench/README.md).
    hot = route_keys(route for module in modules for route in module.hot_routes)
    app.add_middleware(
        CompressionMiddleware, uncompressed=hot | {("GET", "/healthz"), ("GET", "/readyz")}
    )
    app.add_middleware(RequestContextMiddleware)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> dict[str, Any]:
        """Both databases answer and their migrations are current."""
        dbs: Databases = app.state.databases
        try:
            for database in (dbs.crm, dbs.bi):
                async with database.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            current = await migration_status(dbs, expected_heads)
        except Exception as exc:  # any database failure means "not ready"
            raise DatabaseUnavailable(
                "A database is unreachable.", details={"error": type(exc).__name__}
            ) from exc
        if not all(current.values()):
            raise ServiceUnavailable(
                "Database migrations are pending: run `rastro db upgrade`.", details=current
            )
        return {"status": "ready", "databases": {name: "current" for name in current}}

    for module in modules:
        app.router.routes.extend(module.hot_routes)
    app.direct = {
        (method, route.path): route
        for module in modules
        for route in module.hot_routes
        if isinstance(route, PlainRoute) and route.direct
        for method in route.methods or ()
    }
    for module in modules:
        for router in module.routers:
            app.include_router(router)
    mount_api_docs(app)
    mount_dashboard(app, settings.web_dir)
    document_errors(app)
    return app


async def close_app(app: FastAPI) -> None:
    """Run the closers modules registered (background writers, clients)."""
    closers, app.state.closers = app.state.closers, []
    for close in closers:
        await close()


def asgi_from_env() -> Any:
    """Factory for `uvicorn --factory` worker processes: settings from the environment."""
    from rastro.config import load_settings
    from rastro.core.logging import configure_logging
    from rastro.runtime import resolve_database_urls

    settings = load_settings()
    configure_logging(settings.log_level, settings.effective_log_format)
    return create_asgi(resolve_database_urls(settings), freeze_gc=True)


def create_asgi(
    settings: Settings, *, databases: Databases | None = None, freeze_gc: bool = False
) -> Any:
    """The app wrapped with Socket.IO (what `rastro serve` runs)."""
    app = create_app(settings, databases=databases, freeze_gc=freeze_gc)
    # The databases exist only after start-up; the hub looks them up when a client connects.
    manager = (
        PostgresManager(libpq_url(settings.crm_database_url)) if settings.crm_database_url else None
    )
    topics = tuple(topic for module in load_modules() for topic in module.live_topics)
    hub = LiveHub(
        lambda: app.state.databases, app.state.authenticator, manager=manager, topics=topics
    )
    app.state.live = hub
    return hub.asgi(app)
