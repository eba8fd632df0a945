"""Where a public step page's server time goes, in one process without the network: the
render alone (the floor of any page that is rendered per request), a kept page served by
the lean route (`page_cache`), the ordinary route reading everything (the page cache off)
and `/healthz` (the same app's floor), each through Rastro's ASGI app called directly
(every middleware and the router; no HTTP server, no client library).

    PYTHONPATH=$PWD/src .venv/bin/python -m bench.funnels.page_floor [--requests 2000]

A fresh embedded PostgreSQL under bench/results/funnels-data with 3 funnels of six steps
(`step_page.make_funnel`: offers, a Meta and a TikTok pixel); each figure is the mean
over `--requests` after 200 warm-up ones: wall microseconds and this process's CPU
microseconds per request (PostgreSQL's CPU is not in it), plus the top functions of a
cProfile of the kept page and of the render. Written to
bench/results/funnel-page-floor-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench.funnels.step_page import DATA, PASSWORD, _post, make_funnel, settings_for
from bench.harness import fresh_postgres, write_report
from rastro.app import close_app, create_app
from rastro.auth.service import accounts
from rastro.core.db import SYSTEM, Scope
from rastro.core.logging import configure_logging
from rastro.funnels.builder.public import views
from rastro.funnels.builder.service import pages
from rastro.modules import load_modules
from rastro.runtime import make_databases, upgrade_all


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"bench"),
            (b"accept", b"text/html"),
            (b"user-agent", b"Mozilla/5.0 (iPhone) bench"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }


def asgi_get(app: Any, path: str) -> Callable[[], Awaitable[int]]:
    """One GET through the app, as uvicorn would call it; returns the status."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def call() -> int:
        status = 0

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(_scope(path), receive, send)
        return status

    return call


async def timed(action: Callable[[], Awaitable[Any]], requests: int) -> dict[str, float]:
    for _ in range(200):
        await action()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        await action()
    return {
        "wall_us": round(1e6 * (time.perf_counter() - wall) / requests, 1),
        "cpu_us": round(1e6 * (time.process_time() - cpu) / requests, 1),
    }


async def profiled(action: Callable[[], Awaitable[Any]], requests: int) -> list[str]:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        await action()
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
    return [line for line in out.getvalue().splitlines() if line.strip()][-16:]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server = fresh_postgres(DATA)
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        settings = settings_for(server)
        upgrade_all(settings)
        databases = make_databases(settings)
        async with databases.crm.transaction(SYSTEM) as session:
            admin = await accounts.create_user(
                session, email="bench@bench.example", name="Bench", password=PASSWORD
            )
            organization = await accounts.create_organization(session, name="bench", admin=admin)
        app = create_app(settings, databases=databases, check_migrations=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await _post(
                client, "/api/auth/login", {"email": admin.email, "password": PASSWORD}
            )
            client.headers["Authorization"] = f"Bearer {login['access_token']}"
            domain = await _post(
                client,
                "/api/domains",
                {"domain_url": "https://loja.bench.example", "allowed_origins": ["http://bench"]},
            )
            paths: dict[str, str] = {}
            for n in range(3):
                paths = await make_funnel(client, n, domain["domain_id"])
        results: dict[str, Any] = {}
        results["healthz"] = await timed(asgi_get(app, "/healthz"), args.requests)
        for kind in ("capture", "checkout"):
            path = paths[kind]
            funnel_slug, step_slug = path.split("/")[-2:]
            async with databases.crm.transaction(Scope.organization(organization.id)) as session:
                step = await pages.get_public_step(
                    session, funnel_slug=funnel_slug, step_slug=step_slug
                )
            place = views.Place(step, path.rsplit("/", 1)[0], "http://bench")

            async def render(place: views.Place = place, kind: str = kind) -> None:
                views.page(kind, place)

            figures: dict[str, Any] = {"render_only": await timed(render, args.requests)}
            app.state.settings = settings.model_copy(update={"funnel_page_cache": True})
            get = asgi_get(app, path)
            assert await get() == 200
            figures["kept_page"] = await timed(get, args.requests)
            app.state.settings = settings.model_copy(update={"funnel_page_cache": False})
            figures["cache_off"] = await timed(get, max(200, args.requests // 5))
            app.state.settings = settings.model_copy(update={"funnel_page_cache": True})
            figures["kept_page_profile"] = await profiled(get, args.requests)
            figures["render_profile"] = await profiled(render, args.requests)
            results[kind] = figures
            print(kind, {k: v for k, v in figures.items() if not k.endswith("profile")})
        await close_app(app)
        await databases.dispose()
        return {
            "load_average": [round(x, 1) for x in os.getloadavg()],
            "requests": args.requests,
            "results": results,
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    configure_logging("WARNING", "console")  # as the servers of the HTTP benchmarks
    load_modules()
    write_report("funnel-page-floor", asyncio.run(run(args)))


if __name__ == "__main__":
    main()
