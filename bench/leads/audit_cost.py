"""What the access audit's one INSERT per request adds to a lead read and the lead list:
CPU per request with the audit writer on and off, alternated in one process.

    .venv/bin/python -m bench.leads.audit_cost [--leads 20000] [--rounds 10] [--requests 100]

A fresh embedded PostgreSQL under bench/results/audit-data, migrated; one organization
with `--leads` leads generated as `bench/leads/list.py` generates them (personal fields
sealed), VACUUM ANALYZE. Rastro's ASGI app (`create_app`: every middleware, a real access
token, tenant scope and row-level security) is driven in-process by httpx's ASGI
transport, one request at a time. Each round runs `--requests` requests of each kind with
the audit on, then off (the order flips every round: on-off, off-on, …). Off is the same
request with the privacy module's writer unregistered (`core.audit`), i.e. without the
`privacy_audit_log` INSERT; nothing else changes. Per request: the Python process's CPU
(`time.process_time`) and the PostgreSQL backends' CPU (utime + stime of the server's
processes from /proc), and the wall time. Medians over the rounds of the per-request
means; written to bench/results/audit-cost-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.harness import fresh_postgres
from bench.leads.list import PASSWORD, generate, make_organization, settings_for
from rastro.app import close_app, create_app
from rastro.core import audit
from rastro.modules import load_modules
from rastro.runtime import make_databases, upgrade_all

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DATA = RESULTS / "audit-data"
TICK = os.sysconf("SC_CLK_TCK")


def postgres_cpu(data: Path) -> float:
    """CPU seconds (user + system) of the server's processes so far."""
    postmaster = int((data / "postgres" / "postmaster.pid").read_text().split()[0])
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = (Path("/proc") / entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[1] is the parent pid; [11], [12] utime, stime (after the command name)
        if int(entry) == postmaster or int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


async def timed(
    client: httpx.AsyncClient, paths: list[tuple[str, dict[str, Any]]], data: Path
) -> dict[str, float]:
    """Per-request means (µs) of Python CPU, PostgreSQL CPU and wall time over `paths`."""
    py0, pg0, wall0 = time.process_time(), postgres_cpu(data), time.perf_counter()
    for path, params in paths:
        response = await client.get(path, params=params)
        response.raise_for_status()
    n = len(paths)
    return {
        "python_cpu_us": (time.process_time() - py0) / n * 1e6,
        "postgres_cpu_us": (postgres_cpu(data) - pg0) / n * 1e6,
        "wall_us": (time.perf_counter() - wall0) / n * 1e6,
    }


def _median(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(r[key] for r in rounds)) for key in rounds[0]}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server = fresh_postgres(DATA)
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        settings = settings_for(server).model_copy(update={"data_dir": DATA})
        upgrade_all(settings)
        databases = make_databases(settings)
        org = await make_organization(databases, "bench", owners=4)
        generate(server, org, args.leads)
        with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE contacts, leads, lead_stages, crm_search_terms")
            lead_ids = [str(r[0]) for r in conn.execute("SELECT lead_id FROM leads").fetchall()]
        writer = list(audit._writer)
        assert writer, "the privacy module's audit writer is not registered"
        app = create_app(settings, databases=databases, check_migrations=False)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        rng = random.Random(7)
        kinds = {
            "lead read (GET /api/leads/{id})": lambda: [
                (f"/api/leads/{rng.choice(lead_ids)}", {}) for _ in range(args.requests)
            ],
            "lead list (GET /api/leads, 50 a page)": lambda: [
                ("/api/leads", {"page_size": 50, "page": 1 + rng.randrange(20)})
                for _ in range(args.requests)
            ],
        }
        results: dict[str, Any] = {}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = (
                await client.post(
                    "/api/auth/login", json={"email": org["email"], "password": PASSWORD}
                )
            ).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            client.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"
            for name, paths_of in kinds.items():
                await timed(client, paths_of()[:20], DATA)  # warm-up
                rounds: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
                for i in range(args.rounds):
                    for mode in ("on", "off") if i % 2 == 0 else ("off", "on"):
                        audit._writer[:] = writer if mode == "on" else []
                        rounds[mode].append(await timed(client, paths_of(), DATA))
                audit._writer[:] = writer
                on, off = _median(rounds["on"]), _median(rounds["off"])
                results[name] = {
                    "audit on": on,
                    "audit off": off,
                    "added_us": {k: on[k] - off[k] for k in on},
                }
                print(f"{name}: {json.dumps(results[name])}", flush=True)
        with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
            (entries,) = conn.execute("SELECT count(*) FROM privacy_audit_log").fetchone() or (0,)
        await close_app(app)
        await databases.dispose()
        return {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cores": os.cpu_count(), "load_avg": os.getloadavg()},
            "leads": args.leads,
            "rounds": args.rounds,
            "requests_per_round": args.requests,
            "audit_rows_written": entries,
            "results": results,
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    load_modules()
    report = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"audit-cost-{int(time.time())}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
