"""Lead capture throughput and latency on this machine, load generator included.

    .venv/bin/python -m bench.leads.capture [--duration 20] [--workers 2] [--connections 16]
        [--paced-connections 64]

Starts `rastro serve --workers N` and one `rastro worker` (which applies the outbox to the
BI database meanwhile) on fresh databases, stores a pool of tracked sessions through the
collector, then drives `POST /api/leads` with wrk: every request is a new person (unique
e-mail and phone) posting the landing-page form with the tracker's hidden fields; nine in
ten carry a tracked session id. The organization already has a history (`--history`
leads with their contacts and first stages, generated in SQL, then ANALYZE), as a CRM in
use does. First as fast as acknowledged (closed loop), then paced at the target rate
(300/s) for p50/p99 latency, over more connections: wrk sends a connection's next request
only after the previous answer, so with few connections a slow moment would lower the
rate offered instead of queueing requests as independent visitors do. The stored rate is
counted from the `leads` rows afterwards; each run also reports the CPU time of the server
workers, the job worker, PostgreSQL and wrk per request, the CPU share stolen by the
hypervisor, and the outbox messages left for the job worker at its end with the seconds it
took to apply them before the next run.
"""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from bench.harness import ORIGIN, rastro, write_report, wrk
from bench.leads.list import generate
from rastro.config import load_settings
from rastro.core.embedded import EmbeddedPostgres
from rastro.runtime import configure_personal_data

SCRIPT = Path(__file__).resolve().parent / "capture.lua"
NOOP_SCRIPT = Path(__file__).resolve().parents[1] / "collector" / "collect.lua"
SESSIONS = 2000


def seed_sessions(base: str, site_key: str) -> None:
    """One tracked visit (page view + click, Google Ads) per session of the pool."""
    now = int(time.time() * 1000)
    with httpx.Client(base_url=base, headers={"origin": ORIGIN}, timeout=30) as client:
        for n in range(1, SESSIONS + 1):
            url = f"{ORIGIN}/lp?utm_source=google&utm_medium=cpc&utm_campaign=bf&gclid=g{n}"
            body = {
                "site": site_key,
                "session_id": f"s_bench{n:015d}",
                "visitor_id": f"v_bench{n:015d}",
                "events": [
                    {"event_id": str(uuid.uuid4()), "type": "page_view", "ts": now, "url": url},
                    {"event_id": str(uuid.uuid4()), "type": "click", "ts": now, "url": url},
                ],
            }
            client.post("/api/collect", json=body).raise_for_status()


PENDING = "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"


def count(conninfo: str, sql: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('rastro.scope', 'system', false)")
        return int(conn.execute(sql).fetchone()[0])


def drain(conninfo: str, timeout: float = 300.0) -> tuple[int, float]:
    """The outbox messages not yet applied, and the seconds the job worker then took to
    apply them (each phase starts with an empty outbox: a backlog left by the previous one
    would take CPU from it)."""
    backlog = count(conninfo, PENDING)
    started = time.monotonic()
    while count(conninfo, PENDING) and time.monotonic() - started < timeout:
        time.sleep(0.2)
    return backlog, round(time.monotonic() - started, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--paced-connections", type=int, default=64)
    parser.add_argument("--target", type=float, default=300.0, help="paced rate, leads/s")
    parser.add_argument("--port", type=int, default=8932)
    parser.add_argument("--history", type=int, default=20_000, help="leads already stored")
    args = parser.parse_args()

    with rastro(
        "leads-capture-data", port=args.port, workers=args.workers, with_worker=True
    ) as run:
        seed_sessions(run.base, run.site_key)
        crm = run.url("rastro_crm")
        server = EmbeddedPostgres(run.data)
        with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
            org = conn.execute("SELECT id FROM organizations LIMIT 1").fetchone()[0]
        # The server's keys (its data directory's), to seal the history as it would.
        configure_personal_data(load_settings(RASTRO_DATA_DIR=run.data))
        generate(server, {"id": org, "owners": []}, args.history)
        for database in ("rastro_crm", "rastro_bi"):
            with psycopg.connect(server.superuser_conninfo(database), autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
        env = {"SITE_KEY": run.site_key, "ORIGIN": ORIGIN, "SESSIONS": str(SESSIONS)}
        c, d = args.connections, args.duration
        wrk(SCRIPT, run.base, duration=3, connections=c, env=env)  # warm-up
        # The machine's speed of the moment (this VM's varies by 2x from hour to hour): the
        # collector benchmark's HTTP ceiling, GET /healthz, for 5 s.
        ceiling = wrk(NOOP_SCRIPT, run.base, duration=5, connections=c, env={"MODE": "noop"})

        def phase(connections: int, phase_env: dict[str, str]) -> dict:
            """One wrk run, with the leads it stored and the outbox drained after it."""
            before = count(crm, "SELECT count(*) FROM leads")
            result = wrk(SCRIPT, run.base, duration=d, connections=connections, env=phase_env)
            result["stored"] = count(crm, "SELECT count(*) FROM leads") - before
            result["stored_per_s"] = result["stored"] / (result["duration_us"] / 1e6)
            result["outbox_backlog_at_end"], result["outbox_drain_s"] = drain(crm)
            return result

        closed = phase(c, env)
        paced = phase(args.paced_connections, {**env, "RATE": f"{args.target:.3f}"})
        paced["target_rps"] = args.target
        attributed = count(
            crm, "SELECT count(*) FROM leads WHERE attribution_status = 'attributed'"
        )
        total = count(crm, "SELECT count(*) FROM leads")
        write_report(
            "leads-capture",
            {
                "workers": args.workers,
                "connections": c,
                "paced_connections": args.paced_connections,
                "duration_s": d,
                "http_ceiling_rps": round(ceiling["rps"]),
                "closed_loop": closed,
                "paced": paced,
                "history": args.history,
                "leads_total": total,
                "leads_attributed": attributed,
            },
        )


if __name__ == "__main__":
    main()
