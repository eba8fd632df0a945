"""How much of the collector's cost is in steps it cannot skip (issue: tracking).

    .venv/bin/python -m bench.collector.floor [--duration 10] [--workers 2] [--connections 32]

Starts the same server as `bench.collector.run` — this module's `asgi_from_env` is the
uvicorn factory: the app of `rastro serve` plus three bench-only routes, matched first —
and drives it with the single-event load of `collect.lua` (closed loop), one after the
other:

1. the HTTP ceiling, `GET /healthz`;
2. `POST /bench/floor/parse`: body read, JSON decoded and checked, site key resolved
   (cached) and origin checked, then the per-event answer — the collector without
   `prepare` and without the database;
3. `POST /bench/floor/prepare`: the same plus `collector.prepare` (validation, visitor
   id, channel, device, bot check) — everything the collector does in Python before its
   write;
4. `POST /bench/floor/append`: the same plus the cheapest durable write: each prepared
   batch stored as one jsonb row of an inbox table, grouped by the collector's own
   `GroupWriter` (one INSERT per group, answered after its commit) — no sessions, page
   views, events or journeys;
5. `POST /bench/floor/rows` (issue 23): the same as `prepare`, then the rows a page view
   of a known session must write before it is acknowledged (event id claim, page view,
   session and journey updates), written the cheapest way (`bench.collector.rows`:
   prepared multi-row statements, no PL/pgSQL), grouped by the collector's `GroupWriter`
   and answered after commit — the floor of this design;
6. `POST /api/collect`, the collector itself;
7. the ceiling again (this VM's speed drifts).

Before the loads, every session of `collect.lua`'s pool is started (`store.start_sessions`),
so each single event of the `rows` and `collect` tiers is a page view of a known session.
`--tiers` picks the tiers (default all). Each is reported as requests/s and as a fraction
of the mean of the two ceilings, with the CPU milliseconds per request of the server
workers, PostgreSQL and wrk, that CPU (server + PostgreSQL) as a multiple of the first
ceiling's server CPU per request, and the mean number of requests per BI transaction
(the group size the writers formed).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import psycopg
from fastapi import Request, Response

from bench.collector import rows as floor_rows
from bench.collector.run import SCRIPT
from bench.collector.store import start_sessions
from bench.harness import ORIGIN, rastro, write_report, wrk
from rastro.core.db import libpq_url
from rastro.core.routing import PlainRoute
from rastro.tracking import api
from rastro.tracking.service import collector
from rastro.tracking.service.sites import resolve_site
from rastro.tracking.service.writer import GroupWriter

INBOX = "bench_floor_inbox"
APPEND_SQL = f"INSERT INTO {INBOX} (batch) SELECT value FROM jsonb_array_elements(%s::jsonb)"
TIERS = ("parse", "prepare", "append", "rows")


async def parse(request: Request) -> Response:
    payload = await api.read_batch(request)
    _, headers = await resolve_site(request, payload.get("site"), request.headers.get("origin"))
    results = [collector.EventResult(e.get("event_id"), "stored") for e in payload["events"]]
    return api.batch_answer(collector.BatchResult(None, results), headers)


async def prepare(request: Request) -> Response:
    prepared, headers = await api.prepare_batch(request, await api.read_batch(request))
    return api.batch_answer(collector.BatchResult(None, prepared.results), headers)


async def append_group(
    connection: psycopg.AsyncConnection[Any], batches: list[collector.Prepared]
) -> list[dict[str, Any]]:
    await connection.execute(APPEND_SQL, (collector.encode(batches),))
    return [{} for _ in batches]


async def append(request: Request) -> Response:
    prepared, headers = await api.prepare_batch(request, await api.read_batch(request))
    state = request.app.state
    writer: GroupWriter | None = getattr(state, "floor_writer", None)
    if writer is None:
        writer = state.floor_writer = GroupWriter(
            libpq_url(state.databases.bi.url), store=append_group
        )
        state.closers.append(writer.close)
    if prepared.batch is not None:
        await writer.submit(prepared)
    return api.batch_answer(collector.BatchResult(None, prepared.results), headers)


async def rows(request: Request) -> Response:
    prepared, headers = await api.prepare_batch(request, await api.read_batch(request))
    state = request.app.state
    writer: GroupWriter | None = getattr(state, "rows_writer", None)
    if writer is None:
        writer = state.rows_writer = GroupWriter(
            libpq_url(state.databases.bi.url), store=floor_rows.store_async
        )
        state.closers.append(writer.close)
    if prepared.batch is not None:
        await writer.submit(prepared)
    return api.batch_answer(collector.BatchResult(None, prepared.results), headers)


def commits(conninfo: str) -> int:
    """Transactions committed in the BI database so far (statistics flushed first)."""
    time.sleep(1.5)  # a backend reports its counts at most once a second, when idle
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return int(
            conn.execute(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            ).fetchone()[0]
        )


def add_routes() -> None:
    """The floor routes put in front of the collector's (before the app is made)."""
    handlers = {"parse": parse, "prepare": prepare, "append": append, "rows": rows}
    api.collector_routes[:0] = [
        PlainRoute(f"/bench/floor/{tier}", handlers[tier], methods=["POST"], direct=True)
        for tier in TIERS
    ]


def asgi_from_env() -> Any:
    """`rastro.app.asgi_from_env` with the floor routes in front of the collector's."""
    from rastro.app import asgi_from_env as rastro_asgi

    add_routes()
    return rastro_asgi()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=8932)
    parser.add_argument("--tiers", default=",".join((*TIERS, "collect")))
    args = parser.parse_args()
    c, d = args.connections, args.duration
    chosen = [t for t in (*TIERS, "collect") if t in args.tiers.split(",")]
    factory = "bench.collector.floor:asgi_from_env"
    with rastro("floor", port=args.port, workers=args.workers, factory=factory) as run:
        with psycopg.connect(run.url("rastro_bi"), autocommit=True) as conn:
            conn.execute(
                f"CREATE TABLE {INBOX} (id bigserial PRIMARY KEY, batch jsonb NOT NULL,"
                " received_at timestamptz NOT NULL DEFAULT now())"
            )
        start_sessions(run)
        bi = run.url("rastro_bi")
        noop = {"MODE": "noop"}
        results: dict[str, dict[str, Any]] = {}
        wrk(SCRIPT, run.base, duration=3, connections=c, env=noop)  # warm-up
        results["ceiling"] = wrk(SCRIPT, run.base, duration=d, connections=c, env=noop)
        for tier in chosen:
            env = {"SITE_KEY": run.site_key, "ORIGIN": ORIGIN, "EVENTS": "1"}
            if tier != "collect":
                env["COLLECT_PATH"] = f"/bench/floor/{tier}"
            wrk(SCRIPT, run.base, duration=3, connections=c, env=env)
            before = commits(bi)
            results[tier] = wrk(SCRIPT, run.base, duration=d, connections=c, env=env)
            transactions = commits(bi) - before - 1  # the reading connection's own
            results[tier]["requests_per_bi_transaction"] = round(
                results[tier]["requests"] / max(transactions, 1), 2
            )
        results["ceiling_after"] = wrk(SCRIPT, run.base, duration=d, connections=c, env=noop)
        ceiling = (results["ceiling"]["rps"] + results["ceiling_after"]["rps"]) / 2
        noop_cpu = results["ceiling"]["cpu_ms_per_request"]["server"]
        write_report(
            "collector-floor",
            {
                "workers": args.workers,
                "connections": c,
                "duration_s": d,
                "results": results,
                "load_average": os.getloadavg(),
                "fraction_of_ceiling": {
                    tier: round(results[tier]["rps"] / ceiling, 3) for tier in chosen
                },
                "cpu_per_request_over_noop_server_cpu": {
                    tier: round(
                        (
                            results[tier]["cpu_ms_per_request"].get("server", 0.0)
                            + results[tier]["cpu_ms_per_request"].get("postgres", 0.0)
                        )
                        / noop_cpu,
                        2,
                    )
                    for tier in chosen
                },
            },
        )


if __name__ == "__main__":
    main()
