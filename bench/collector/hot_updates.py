"""Backend CPU of `rastro_collect()` for page views of sessions it already knows, and the
share of HOT updates of `sessions` (issue 23).

`PYTHONPATH=<tree>/src .venv/bin/python -m bench.collector.hot_updates [--sessions N]
[--rounds N]`: a fresh embedded PostgreSQL migrated by that tree; N sessions started, then
every session gets `--rounds` more page views, one `rastro_collect()` call (one batch) each
on one autocommit connection, as the collector's groups of one. Prints the backend's own
CPU per call (from /proc, so other processes' load inflates it less than wall time) and
how many of the sessions' updates were HOT (no new index entries)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from rastro.config import generate_encryption_key
from rastro.core.embedded import EmbeddedPostgres
from rastro.tracking import partitions

UPDATES = "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'sessions'"


def _batch(org: str, domain: str, n: int, k: int, start: datetime) -> dict[str, Any]:
    at = (start + timedelta(seconds=k)).isoformat()
    return {
        "org": org,
        "domain": domain,
        "csid": f"s_{n:012d}",
        "visitor": f"v_{n:012d}",
        "activity_at": at,
        "last_at": at,
        "campaign_key": None,
        "session": {"is_bot": False, "channel": "Direct"},
        "touch": {"channel": "Direct", "url_params": {}},
        "views": [
            {
                "view_id": str(uuid.uuid4()),
                "created_at": at,
                "page_url": "https://loja.example.com.br/oferta",
                "client_view_id": f"cv{n}_{k}",
            }
        ],
        "events": [],
        "leaves": [],
    }


def _backend_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().split(")")[-1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(sessions: int, rounds: int) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="rastro-hot-"))
    server = EmbeddedPostgres(data)
    server.start()
    try:
        urls = server.default_databases()
        env = {
            **os.environ,
            "CRM_DATABASE_URL": urls.crm,
            "BI_DATABASE_URL": urls.bi,
            "SECRET_KEY": "bench-" + "x" * 40,
            "ENCRYPTION_KEY": generate_encryption_key(),
            "RASTRO_DATA_DIR": str(data),
        }
        subprocess.run([sys.executable, "-m", "rastro", "db", "upgrade"], env=env, check=True)
        org, domain = str(uuid.uuid4()), str(uuid.uuid4())
        start = datetime.now(UTC) - timedelta(minutes=20)
        with psycopg.connect(server.superuser_conninfo("rastro_bi"), autocommit=True) as conn:
            for month in partitions.months_to_create(date.today(), ahead=1):
                for parent in partitions.PARTITIONED_TABLES:
                    for statement in partitions.create_statements(parent, month):
                        conn.execute(statement)
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]

            def collect(n: int, k: int) -> None:
                body = json.dumps([_batch(org, domain, n, k, start)])
                conn.execute("SELECT rastro_collect(%s::jsonb)", [body])

            for n in range(sessions):
                collect(n, 0)
            conn.execute("SELECT pg_stat_force_next_flush()")
            before = conn.execute(UPDATES).fetchone()
            cpu, wall = _backend_cpu(pid), time.perf_counter()
            for k in range(1, rounds + 1):
                for n in range(sessions):
                    collect(n, k)
            cpu, wall = _backend_cpu(pid) - cpu, time.perf_counter() - wall
            conn.execute("SELECT pg_stat_force_next_flush()")
            after = conn.execute(UPDATES).fetchone()
        assert before is not None
        assert after is not None
        calls = sessions * rounds
        updates, hot = after[0] - before[0], after[1] - before[1]
        return {
            "calls": calls,
            "backend_cpu_us_per_call": round(cpu / calls * 1e6, 1),
            "wall_us_per_call": round(wall / calls * 1e6, 1),
            "session_updates": updates,
            "hot_updates": hot,
            "load_average": os.getloadavg()[0],
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(measure(args.sessions, args.rounds)))


if __name__ == "__main__":
    main()
