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
5. `POST /api/collect`, the collector itself;
6. the ceiling again (this VM's speed drifts).

Each is reported as requests/s and as a fraction of the mean of the two ceilings, with the
CPU milliseconds per request of the server workers, PostgreSQL and wrk.
"""

from __future__ import annotations

import argparse
from typing import Any

import psycopg
from fastapi import Request, Response

from bench.collector.run import SCRIPT
from bench.harness import ORIGIN, rastro, write_report, wrk
from rastro.core.db import libpq_url
from rastro.core.routing import PlainRoute
from rastro.tracking import api
from rastro.tracking.service import collector
from rastro.tracking.service.sites import resolve_site
from rastro.tracking.service.writer import GroupWriter

INBOX = "bench_floor_inbox"
APPEND_SQL = f"INSERT INTO {INBOX} (batch) SELECT value FROM jsonb_array_elements(%s::jsonb)"
TIERS = ("parse", "prepare", "append")


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


def asgi_from_env() -> Any:
    """`rastro.app.asgi_from_env` with the floor routes in front of the collector's."""
    from rastro.app import asgi_from_env as rastro_asgi

    handlers = {"parse": parse, "prepare": prepare, "append": append}
    api.collector_routes[:0] = [
        PlainRoute(f"/bench/floor/{tier}", handlers[tier], methods=["POST"]) for tier in TIERS
    ]
    return rastro_asgi()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=8932)
    args = parser.parse_args()
    c, d = args.connections, args.duration
    factory = "bench.collector.floor:asgi_from_env"
    with rastro("floor", port=args.port, workers=args.workers, factory=factory) as run:
        with psycopg.connect(run.url("rastro_bi"), autocommit=True) as conn:
            conn.execute(
                f"CREATE TABLE {INBOX} (id bigserial PRIMARY KEY, batch jsonb NOT NULL,"
                " received_at timestamptz NOT NULL DEFAULT now())"
            )
        noop = {"MODE": "noop"}
        results: dict[str, dict[str, Any]] = {}
        wrk(SCRIPT, run.base, duration=3, connections=c, env=noop)  # warm-up
        results["ceiling"] = wrk(SCRIPT, run.base, duration=d, connections=c, env=noop)
        for tier, path in [(t, f"/bench/floor/{t}") for t in TIERS] + [("collect", None)]:
            env = {"SITE_KEY": run.site_key, "ORIGIN": ORIGIN, "EVENTS": "1"}
            if path:
                env["COLLECT_PATH"] = path
            wrk(SCRIPT, run.base, duration=3, connections=c, env=env)
            results[tier] = wrk(SCRIPT, run.base, duration=d, connections=c, env=env)
        results["ceiling_after"] = wrk(SCRIPT, run.base, duration=d, connections=c, env=noop)
        ceiling = (results["ceiling"]["rps"] + results["ceiling_after"]["rps"]) / 2
        write_report(
            "collector-floor",
            {
                "workers": args.workers,
                "connections": c,
                "duration_s": d,
                "results": results,
                "fraction_of_ceiling": {
                    tier: round(results[tier]["rps"] / ceiling, 3) for tier in (*TIERS, "collect")
                },
            },
        )


if __name__ == "__main__":
    main()
