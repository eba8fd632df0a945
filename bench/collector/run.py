"""Collector throughput and latency on this machine, load generator included.

    .venv/bin/python -m bench.collector.run [--duration 20] [--workers 2] [--connections 32]
                                            [--loads single,batch20] [--no-half]
                                            [--server uvicorn|granian] [--threads 1]

Starts Rastro (`rastro serve --workers N`) on a fresh embedded PostgreSQL, registers a
site through the API, then drives it with wrk (closed loop, one wrk thread):

1. the HTTP ceiling: `GET /healthz` (same app, middleware and server);
2. single-event batches and batches of 20 as fast as they are acknowledged — every
   request carries new event ids, and the stored rate is counted from the rows that are in
   the database afterwards (acknowledged = committed);
3. the same two loads paced at half the measured maximum, for p50/p99 latency (requests
   sent on a fixed schedule by bench/pace.lua; the achieved rate is reported with the
   latencies; `--no-half` skips them, for quick A/B runs of the maximum rate).

The closed-loop phases also report the BI database's commits and events per commit (the
collector's group size, roughly).

`--server granian` serves the same app with granian instead of `rastro serve`'s uvicorn;
`--threads N` runs the closed-loop phases with N wrk threads (the paced ones keep one).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import psycopg

from bench.harness import ORIGIN, rastro, write_report, wrk

SCRIPT = Path(__file__).resolve().parent / "collect.lua"
LOADS = (("single", 1), ("batch20", 20))  # name, events per request


def bi_commits(conninfo: str) -> int:
    """Transactions committed in the BI database so far (PostgreSQL's statistics, flushed
    at most a second late): over a phase, the collector's groups plus a few of the jobs'."""
    time.sleep(1.1)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        assert row is not None
        return int(row[0])


def stored_rows(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('rastro.scope', 'system', false)")
        return int(
            conn.execute(
                "SELECT (SELECT count(*) FROM page_views) + (SELECT count(*) FROM events)"
            ).fetchone()[0]
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument(
        "--loads", default="single,batch20", help="which loads to run (single, batch20)"
    )
    parser.add_argument("--no-half", action="store_true", help="skip the half-rate runs")
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    args = parser.parse_args()
    loads = [(n, e) for n, e in LOADS if n in args.loads.split(",")]
    if unknown := set(args.loads.split(",")) - {n for n, _ in LOADS}:
        parser.error(f"unknown loads: {', '.join(sorted(unknown))}")

    with rastro("data", port=args.port, workers=args.workers, server=args.server) as run:
        bi = run.url("rastro_bi")
        load_env = {"SITE_KEY": run.site_key, "ORIGIN": ORIGIN}
        c, d = args.connections, args.duration
        results: dict[str, dict] = {}
        w = args.threads
        wrk(SCRIPT, run.base, threads=w, duration=3, connections=c, env={"MODE": "noop"})
        results["ceiling"] = wrk(
            SCRIPT, run.base, threads=w, duration=d, connections=c, env={"MODE": "noop"}
        )
        for name, events in loads:
            env = {**load_env, "EVENTS": str(events)}
            wrk(SCRIPT, run.base, threads=w, duration=3, connections=c, env=env)
            before, commits = stored_rows(bi), bi_commits(bi)
            result = wrk(SCRIPT, run.base, threads=w, duration=d, connections=c, env=env)
            result["stored_events"] = stored_rows(bi) - before
            result["bi_commits"] = bi_commits(bi) - commits
            result["events_per_commit"] = result["stored_events"] / max(result["bi_commits"], 1)
            result["stored_per_s"] = result["stored_events"] / (result["duration_us"] / 1e6)
            results[name] = result
            if args.no_half:
                continue
            half = result["rps"] / 2
            paced = wrk(
                SCRIPT, run.base, duration=d, connections=c, env={**env, "RATE": f"{half:.3f}"}
            )
            paced["target_rps"] = half
            results[f"{name}_half"] = paced
        ceiling = results["ceiling"]["rps"]
        write_report(
            "collector",
            {
                "workers": args.workers,
                "server": args.server,
                "connections": c,
                "threads": args.threads,
                "duration_s": d,
                "results": results,
                "single_fraction_of_ceiling": (
                    results["single"]["rps"] / ceiling if "single" in results else None
                ),
            },
        )


if __name__ == "__main__":
    main()
