"""CPU per collector request inside one server process, without HTTP, uvicorn or wrk.

    .venv/bin/python -m bench.collector.inproc [--events 1] [--requests 20000]
                                               [--concurrency 32] [--profile FILE]

Starts a fresh embedded PostgreSQL under bench/results/collector-inproc, migrates it,
creates an organization with a site, and builds the app as `rastro serve` does (the
Socket.IO hub with its PostgreSQL pub/sub around the FastAPI app). Then it drives the ASGI
callable directly with `--concurrency` concurrent requests: first `GET /healthz` (the
no-op), then `POST /api/collect` with the traffic of `collect.lua` (a pool of 8,000
sessions, three per visitor, the same campaign mix and user agents; every request with
new event ids), 2,000 of each as a warm-up. Reported per request: this process's CPU
(the app, the group writer, the live publisher), the CPU of PostgreSQL's processes, and
the wall time. `--profile FILE` writes cProfile's statistics (CPU time) of the timed collector phase
(`python -m pstats FILE`); with `--profile-tiers`, each tier's too (`FILE.<tier>`).
`--direct-ab N` then measures the collector N more times with its direct routes
(`rastro.core.routing.serve_direct`) and N times through the middleware stack, alternated
(ABBA) in this process: the A/B of serving it before the middleware.

`--tiers prepare,rows` also measures `bench.collector.floor`'s routes of those names (the
collector's Python work without a write; the same plus the floor write of the rows), after
every session of the pool was started, so each event continues a known session.

The app freezes the garbage collector's objects once started, as `rastro serve` does;
`gc_us` is the collector's time per request (`gc.callbacks`), `--gc-threshold N` sets its
first threshold. `--loop uvloop` runs it on uvloop, as `rastro serve` does (default:
asyncio's own loop, as in the figures before 2026-12-07 afternoon).

The request bodies are made before the timing starts, so the figures hold the server's
work only; the machine's load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import random
import shutil
import time
import uuid
from typing import Any

import httpx
import psycopg
from pydantic import SecretStr

from bench import harness
from bench.harness import ORIGIN, RESULTS
from rastro.app import create_app
from rastro.auth.service import accounts
from rastro.config import Settings, generate_encryption_key
from rastro.core.db import SYSTEM, libpq_url
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.live import LiveHub, PostgresManager
from rastro.core.logging import configure_logging
from rastro.modules import load_modules
from rastro.runtime import make_databases, upgrade_all

DATA = RESULTS / "collector-inproc"
PASSWORD = "bench password 123"
CAMPAIGNS = (
    "?utm_source=google&utm_medium=cpc&utm_campaign=black-friday&gclid=",
    "?utm_source=facebook&utm_medium=paid_social&utm_campaign=remarketing&fbclid=",
    "?utm_source=tiktok&utm_medium=paid&utm_campaign=ugc&ttclid=",
    "?utm_source=newsletter&utm_medium=email&utm_campaign=weekly&x=",
    "",
    "",
)
TYPES = ("click", "scroll", "form_start", "video_play", "download", "custom")
AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
)
SESSIONS = 8000


def body(site_key: str, events: int, now_ms: int, n: int | None = None) -> tuple[bytes, str]:
    """One request of `collect.lua` (for session `n`, default a random one): its JSON body
    and user agent."""
    n = n or random.randint(1, SESSIONS)
    campaign = CAMPAIGNS[n % len(CAMPAIGNS)]
    url = f"{ORIGIN}/lp{campaign}{n if campaign else ''}"
    batch = []
    for i in range(1, events + 1):
        event: dict[str, Any] = {
            "event_id": str(uuid.uuid4()),
            "type": "page_view" if i == 1 else random.choice(TYPES),
            "ts": now_ms,
            "url": url,
        }
        if i == 1:
            event |= {"referrer": "https://www.google.com/", "title": "Oferta", "view_id": "pv1"}
        else:
            event |= {"label": f"cta-{i}", "value": random.randint(1, 100)}
        batch.append(event)
    payload = {
        "site": site_key,
        "visitor_id": f"v_bench{n // 3:015d}",
        "session_id": f"s_bench{n:015d}",
        "context": {"screen": "1920x1080", "language": "pt-BR"},
        "events": batch,
    }
    return json.dumps(payload, separators=(",", ":")).encode(), AGENTS[n % len(AGENTS)]


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def call(asgi: Any, request: dict[str, Any], content: bytes) -> int:
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": content, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await asyncio.wait_for(asyncio.shield(asgi(request, receive, send)), 30)
    return status


async def drive(asgi: Any, requests: list[tuple[dict[str, Any], bytes]], concurrency: int) -> int:
    """Send the requests with `concurrency` in flight; returns how many failed."""
    queue = iter(requests)
    failed = 0

    async def worker() -> None:
        nonlocal failed
        for request, content in queue:
            if await call(asgi, request, content) != 200:
                failed += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failed


def collect_requests(
    site_key: str, events: int, count: int, path: str = "/api/collect", every: bool = False
) -> list[tuple[dict, bytes]]:
    """`count` requests to `path` (`every`: one per session of the pool, in order)."""
    now_ms = int(time.time() * 1000)
    out = []
    for i in range(count):
        content, agent = body(site_key, events, now_ms, i % SESSIONS + 1 if every else None)
        headers = [
            (b"host", b"bench"),
            (b"content-type", b"text/plain;charset=UTF-8"),
            (b"origin", ORIGIN.encode()),
            (b"user-agent", agent.encode()),
            (b"accept-encoding", b"gzip, deflate, br, zstd"),
            (b"content-length", str(len(content)).encode()),
        ]
        out.append((scope("POST", path, headers), content))
    return out


def noop_requests(count: int) -> list[tuple[dict, bytes]]:
    headers = [(b"host", b"bench"), (b"accept-encoding", b"gzip, deflate, br, zstd")]
    return [(scope("GET", "/healthz", headers), b"") for _ in range(count)]


_BI: list[str] = []  # the BI database's superuser conninfo, once it exists


def commits() -> int:
    """Transactions committed in the BI database so far (0 before it exists)."""
    if not _BI:
        return 0
    time.sleep(1.5)  # a backend reports its counts at most once a second, when idle
    with psycopg.connect(_BI[0], autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


class GcTimer:
    """The garbage collector's passes and their time, per generation (`gc.callbacks`)."""

    def __init__(self) -> None:
        self.passes = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.passes[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self._started


async def measure(
    asgi: Any, requests: list[tuple[dict, bytes]], concurrency: int, profile: str | None = None
) -> dict[str, Any]:
    gc_timer = GcTimer()
    gc.callbacks.append(gc_timer)
    transactions = commits()
    cpu_before, pg_before = time.process_time(), harness._own_cpu().get("postgres", 0.0)
    wall = time.perf_counter()
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not wall
    if profiler:
        profiler.enable()
    failed = await drive(asgi, requests, concurrency)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu_before
    gc.callbacks.remove(gc_timer)
    pg = harness._own_cpu().get("postgres", 0.0) - pg_before
    n = len(requests)
    transactions = commits() - transactions - 1  # less the reading connection's own
    return {
        "requests": n,
        "requests_per_bi_transaction": round(n / transactions, 2) if transactions > 0 else None,
        "failed": failed,
        "per_s": round(n / wall),
        "server_us": round(1e6 * cpu / n, 1),
        "postgres_us": round(1e6 * pg / n, 1),
        "gc_us": round(1e6 * sum(gc_timer.seconds) / n, 1),
        "gc_passes": gc_timer.passes,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if DATA.exists():
        if EmbeddedPostgres(DATA).is_running():
            EmbeddedPostgres(DATA).stop()
        shutil.rmtree(DATA)
    server = EmbeddedPostgres(DATA)
    server.start()
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        harness._ROOTS["postgres"] = int((server.pgdata / "postmaster.pid").read_text().split()[0])
        _BI[:] = [server.superuser_conninfo("rastro_bi")]
        settings = Settings(  # type: ignore[call-arg]
            RASTRO_ENV="development",
            RASTRO_DATA_DIR=DATA,
            CRM_DATABASE_URL=server.url("rastro_crm"),
            BI_DATABASE_URL=server.url("rastro_bi"),
            SECRET_KEY=SecretStr("bench-secret-key-" + "x" * 40),
            ENCRYPTION_KEY=SecretStr(generate_encryption_key()),
            LOG_LEVEL="WARNING",
        )
        configure_logging("WARNING", settings.effective_log_format)
        upgrade_all(settings)
        databases = make_databases(settings)
        async with databases.crm.transaction(SYSTEM) as session:
            admin = await accounts.create_user(
                session, email="bench@bench.example", name="Bench", password=PASSWORD
            )
            await accounts.create_organization(session, name="bench", admin=admin)
        tiers = [t for t in args.tiers.split(",") if t]
        if tiers:  # `bench.collector.floor`'s routes, matched first
            from bench.collector import floor

            floor.add_routes()
        app = create_app(settings, databases=databases, check_migrations=False, freeze_gc=True)
        if args.gc_threshold:
            gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
        topics = tuple(t for module in load_modules() for t in module.live_topics)
        manager = PostgresManager(libpq_url(settings.crm_database_url or ""))
        app.state.live = LiveHub(
            lambda: app.state.databases, app.state.authenticator, manager=manager, topics=topics
        )
        asgi = app.state.live.asgi(app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c,
        ):
            login = (
                await c.post("/api/auth/login", json={"email": admin.email, "password": PASSWORD})
            ).json()
            domain = (
                await c.post(
                    "/api/domains",
                    headers={"Authorization": f"Bearer {login['access_token']}"},
                    json={"domain_url": ORIGIN},
                )
            ).json()
            site_key = domain["site_key"]
            if tiers:  # every session known, so that each event continues one
                start = collect_requests(site_key, 1, SESSIONS, every=True)
                await measure(asgi, start, args.concurrency)
            paths = {t: f"/bench/floor/{t}" for t in tiers} | {"collect": "/api/collect"}
            warm = {p: collect_requests(site_key, args.events, 2000, p) for p in paths.values()}
            timed = {
                p: collect_requests(site_key, args.events, args.requests, p) for p in paths.values()
            }
            await measure(asgi, noop_requests(2000), args.concurrency)
            noop = await measure(asgi, noop_requests(args.requests), args.concurrency)
            measured: dict[str, Any] = {}
            for name, path in paths.items():
                await measure(asgi, warm[path], args.concurrency)
                profile = args.profile if name == "collect" else None
                if args.profile and args.profile_tiers and name != "collect":
                    profile = f"{args.profile}.{name}"
                measured[name] = await measure(asgi, timed[path], args.concurrency, profile)
            collect = measured["collect"]
            direct_ab: dict[str, list[Any]] = {}
            if args.direct_ab:  # the hot routes served directly, then through the stack (ABBA)
                direct = app.direct
                for turn in range(args.direct_ab):
                    for variant in ("direct", "stack") if turn % 2 == 0 else ("stack", "direct"):
                        app.direct = direct if variant == "direct" else {}
                        batch = collect_requests(site_key, args.events, args.requests)
                        await measure(asgi, batch[:500], args.concurrency)
                        result = await measure(asgi, batch[500:], args.concurrency)
                        result["load_average"] = os.getloadavg()[0]
                        direct_ab.setdefault(variant, []).append(result)
                app.direct = direct
        with psycopg.connect(server.superuser_conninfo("rastro_bi"), autocommit=True) as conn:
            stored = conn.execute(
                "SELECT (SELECT count(*) FROM page_views) + (SELECT count(*) FROM events)"
            ).fetchone()
        return {
            "events_per_request": args.events,
            "concurrency": args.concurrency,
            "loop": args.loop,
            "load_average": os.getloadavg(),
            "noop": noop,
            **{name: result for name, result in measured.items() if name != "collect"},
            "collect": collect,
            "over_noop_server_cpu": {
                name: round((r["server_us"] + r["postgres_us"]) / noop["server_us"], 2)
                for name, r in measured.items()
            },
            "stored_events": stored[0] if stored else None,
            **({"direct_ab": direct_ab} if direct_ab else {}),
        }
    finally:
        harness._ROOTS.clear()
        _BI.clear()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", help="write cProfile statistics of the collector phase")
    parser.add_argument(
        "--profile-tiers",
        action="store_true",
        help="with --profile: also profile each tier (FILE.<tier>)",
    )
    parser.add_argument(
        "--direct-ab",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="then the collector with its direct routes on and off, alternated ROUNDS times",
    )
    parser.add_argument(
        "--tiers",
        default="",
        help="bench.collector.floor tiers measured before the collector (e.g. prepare,rows)",
    )
    parser.add_argument(
        "--gc-threshold", type=int, help="the garbage collector's first threshold (default 700)"
    )
    parser.add_argument(
        "--loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="the event loop (`rastro serve` runs uvloop)",
    )
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop

        result = uvloop.run(run(args))
    else:
        result = asyncio.run(run(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
