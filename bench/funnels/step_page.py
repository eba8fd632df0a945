"""The public step pages: server time per page and what a phone downloads.

    .venv/bin/python -m bench.funnels.step_page [--funnels 100] [--requests 300]

Starts a fresh embedded PostgreSQL under bench/results/funnels-data, migrates it, creates
one organization with a tracked site and `--funnels` funnels of six steps each (capture,
VSL, checkout, upsell, downsell, thank you; the checkout configs and two pixels, a Meta
one for the funnel and a TikTok one for the checkout), then VACUUM ANALYZE. The app is
Rastro's ASGI application (`create_app`, every middleware) driven in-process by httpx's
ASGI transport, one request at a time, without the tracker's session cookie (a first
visit): the figures are server time (finding the organization, funnel, step, pixels and
offer, rendering the precompiled template) without the network and uvicorn. Each page
gets 30 warm-up requests, then `--requests` timed ones; p50/p95/p99 are reported.

Bytes: each page's HTML (its CSS and JavaScript are inline) plus the tracker `/t.js` it
loads — everything but media — raw and gzip -9, against the 50 KB budget. Written to
bench/results/funnel-step-page-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from pydantic import SecretStr

from bench.harness import fresh_postgres, write_report
from rastro.app import close_app, create_app
from rastro.auth.service import accounts
from rastro.config import Settings, generate_encryption_key
from rastro.core.db import SYSTEM
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules
from rastro.runtime import make_databases, upgrade_all

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DATA = RESULTS / "funnels-data"
PASSWORD = "bench password 123"
BUDGET = 50 * 1024
KINDS = ("capture", "vsl", "checkout", "upsell", "downsell", "thankyou")
CONTENT: dict[str, dict[str, Any]] = {
    "capture": {"headline": "Baixe o e-book grátis", "body": "Aprenda em 7 dias.\n\nSem custo."},
    "vsl": {
        "headline": "Assista antes que saia do ar",
        "video": {"provider": "youtube", "video_id": "dQw4w9WgXcQ"},
    },
    "checkout": {"headline": "Finalize sua compra"},
    "upsell": {"headline": "Leve também o módulo avançado"},
    "downsell": {"headline": "Que tal a versão essencial?"},
    "thankyou": {"headline": "Obrigado!"},
}
MEASURED = ("capture", "vsl", "checkout", "thankyou")  # upsell/downsell need a paid order


def settings_for(server: EmbeddedPostgres) -> Settings:
    return Settings(  # type: ignore[call-arg]
        RASTRO_ENV="development",
        RASTRO_DATA_DIR=DATA,
        CRM_DATABASE_URL=server.url("rastro_crm"),
        BI_DATABASE_URL=server.url("rastro_bi"),
        SECRET_KEY=SecretStr("bench-secret-key-" + "x" * 40),
        ENCRYPTION_KEY=SecretStr(generate_encryption_key()),
        LOG_LEVEL="WARNING",
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


async def make_funnel(client: httpx.AsyncClient, n: int, domain_id: str) -> dict[str, str]:
    """A funnel of six steps with its offers and pixels; the public paths by step type."""
    funnel = await _post(
        client, "/api/funnels", {"name": f"Funil {n}", "slug": f"funil-{n}", "domain_id": domain_id}
    )
    paths, ids = {}, {}
    for kind in KINDS:
        settings = (
            {"decline_step": "downsell", "accept_step": "thankyou"} if kind == "upsell" else {}
        )
        step = await _post(
            client,
            f"/api/funnels/{funnel['id']}/steps",
            {
                "name": kind.title(),
                "slug": kind,
                "step_type": kind,
                "content": CONTENT[kind],
                "settings": settings,
            },
        )
        paths[kind], ids[kind] = step["public_path"], step["id"]
    for kind, price in (("checkout", "97.00"), ("upsell", "47.00"), ("downsell", "19.90")):
        response = await client.put(
            f"/api/checkout/{funnel['id']}/{ids[kind]}",
            json={"product_name": f"Produto {kind}", "product_price": price},
        )
        response.raise_for_status()
    await _post(
        client,
        "/api/tracking/pixels",
        {"funnel_id": funnel["id"], "pixel_type": "facebook", "pixel_id": "123456789012345"},
    )
    await _post(
        client,
        "/api/tracking/pixels",
        {
            "funnel_id": funnel["id"],
            "step_id": ids["checkout"],
            "pixel_type": "tiktok",
            "pixel_id": "C4ABCDEFGH12345",
            "event_name": "InitiateCheckout",
        },
    )
    return paths


async def measure(client: httpx.AsyncClient, path: str, requests: int) -> dict[str, Any]:
    for _ in range(30):
        (await client.get(path)).raise_for_status()
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = await client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    html = response.content
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
        "html_bytes": len(html),
        "html_gzip_bytes": len(gzip.compress(html, 9)),
    }


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
            await accounts.create_organization(session, name="bench", admin=admin)
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
            started = time.perf_counter()
            paths = {}
            for n in range(args.funnels):
                paths = await make_funnel(client, n, domain["domain_id"])
            with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
                conn.execute(
                    "VACUUM ANALYZE funnels, funnel_steps, checkout_configs, tracking_pixels"
                )
            load_seconds = time.perf_counter() - started
            del client.headers["Authorization"]  # a visitor
            tracker = (await client.get("/t.js")).content
            tracker_sizes = {"bytes": len(tracker), "gzip_bytes": len(gzip.compress(tracker, 9))}
            results = {}
            for kind in MEASURED:
                figures = await measure(client, paths[kind], args.requests)
                figures["with_tracker_bytes"] = figures["html_bytes"] + tracker_sizes["bytes"]
                figures["with_tracker_gzip_bytes"] = (
                    figures["html_gzip_bytes"] + tracker_sizes["gzip_bytes"]
                )
                figures["within_budget"] = figures["with_tracker_bytes"] <= BUDGET
                results[kind] = figures
                print(f"{kind:10s} {json.dumps(figures)}", flush=True)
        await close_app(app)
        await databases.dispose()
        return {
            "load_avg": os.getloadavg(),
            "funnels": args.funnels,
            "steps": args.funnels * len(KINDS),
            "load_seconds": round(load_seconds, 1),
            "requests_per_page": args.requests,
            "tracker": tracker_sizes,
            "budget_bytes": BUDGET,
            "results": results,
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--funnels", type=int, default=100)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    load_modules()
    write_report("funnel-step-page", asyncio.run(run(args)))


if __name__ == "__main__":
    main()
