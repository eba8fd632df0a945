"""Collector throughput and latency on this machine, load generator included.

    .venv/bin/python bench/collector/run.py [--duration 20] [--workers 2] [--connections 32]

Starts Rastro (`rastro serve --workers N`) on a fresh embedded PostgreSQL, registers a
site through the API, then drives it with wrk (closed loop, one wrk thread):

1. the HTTP ceiling: `GET /healthz` (same app, middleware and server);
2. single-event batches and batches of 20 as fast as they are acknowledged — every
   request carries new event ids, and the stored rate is counted from the rows that are in
   the database afterwards (acknowledged = committed);
3. the same two loads paced at half the measured maximum, for p50/p99 latency (each wrk
   connection waits between requests; the achieved rate is reported with the latencies).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

from rastro.core.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RESULTS = ROOT / "bench" / "results"
ORIGIN = "https://loja.bench.example"


def wrk(script: str, url: str, *, duration: int, connections: int, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(HERE / script),
            url,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(row for row in out.splitlines() if row.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


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
    parser.add_argument("--port", type=int, default=8931)
    args = parser.parse_args()

    data = RESULTS / "data"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "BI_"))},
        "RASTRO_DATA_DIR": str(data),
        "RASTRO_ENV": "development",
        "LOG_LEVEL": "WARNING",
        "RASTRO_PORT": str(args.port),
        "DB_POOL_SIZE": "20",
    }
    rastro = [sys.executable, "-m", "rastro"]
    subprocess.run([*rastro, "db", "upgrade"], env=env, check=True, capture_output=True)
    if data.exists():
        # a fresh database per run: drop the bench databases' rows from an earlier run
        subprocess.run(
            [*rastro, "db", "downgrade", "bi", "base"], env=env, check=True, capture_output=True
        )
        subprocess.run([*rastro, "db", "upgrade"], env=env, check=True, capture_output=True)
    email = f"bench-{int(time.time())}@example.com"
    subprocess.run(
        [
            *rastro,
            "users",
            "create",
            "--email",
            email,
            "--name",
            "Bench",
            "--organization",
            f"Bench {email}",
            "--password",
            "bench password 123",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen([*rastro, "serve", "--workers", str(args.workers)], env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/auth/login", json={"email": email, "password": "bench password 123"}
        ).json()["access_token"]
        domain = httpx.post(
            f"{base}/api/domains",
            headers={"Authorization": f"Bearer {token}"},
            json={"domain_url": ORIGIN},
        ).json()
        bi = EmbeddedPostgres(data).url("rastro_bi")
        load_env = {"SITE_KEY": domain["site_key"], "ORIGIN": ORIGIN}
        c, d = args.connections, args.duration
        results: dict[str, dict] = {}
        wrk("collect.lua", base, duration=3, connections=c, env={"MODE": "noop"})  # warm-up
        results["ceiling"] = wrk(
            "collect.lua", base, duration=d, connections=c, env={"MODE": "noop"}
        )
        for name, events in (("single", 1), ("batch20", 20)):
            wrk(
                "collect.lua",
                base,
                duration=3,
                connections=c,
                env={**load_env, "EVENTS": str(events)},
            )
            before = stored_rows(bi)
            run = wrk(
                "collect.lua",
                base,
                duration=d,
                connections=c,
                env={**load_env, "EVENTS": str(events)},
            )
            run["stored_events"] = stored_rows(bi) - before
            run["stored_per_s"] = run["stored_events"] / (run["duration_us"] / 1e6)
            results[name] = run
            half = run["rps"] / 2
            paced = wrk(
                "collect.lua",
                base,
                duration=d,
                connections=c,
                env={**load_env, "EVENTS": str(events), "RATE": f"{half / c:.3f}"},
            )
            paced["target_rps"] = half
            results[f"{name}_half"] = paced
        ceiling = results["ceiling"]["rps"]
        report = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cores": os.cpu_count()},
            "workers": args.workers,
            "connections": c,
            "duration_s": d,
            "results": results,
            "single_fraction_of_ceiling": results["single"]["rps"] / ceiling,
        }
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"collector-{int(time.time())}.json"
        out.write_text(json.dumps(report, indent=2))
        print(json.dumps(report, indent=2))
        print(f"\nwritten to {out}")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        EmbeddedPostgres(data).stop()


if __name__ == "__main__":
    main()
