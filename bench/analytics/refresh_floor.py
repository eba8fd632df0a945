"""The least work a full rollup refresh has to do on the generated data, timed in
PostgreSQL CPU seconds (the server process's user + system time, read from /proc, which a
busy machine inflates far less than wall time), each query on one process
(`max_parallel_workers_per_gather = 0`).

    .venv/bin/python -m bench.analytics.refresh_floor

Each query only reads what the refresh must read and computes what it must compute,
writing nothing: the sessions joined with their touch (the source of `session_facts`), the
events counted per session and type, the page views' paths (the regexp, and the column
the collector stores since BI migration 0031), and plain scans of the two
event tables for scale. Run it beside `bench.analytics.rollup` (whose `postgres_cpu_s` is
the same measure for the whole refresh). Writes bench/results/analytics-refresh-floor-<time>.json.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import psutil
import psycopg

from bench.analytics.generate import FULL, ensure_generated, stop_if_started
from bench.harness import write_report
from rastro.core.embedded import EmbeddedPostgres

PATH = r"regexp_replace(page_url, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*|[?#].*$', '', 'g')"
QUERIES = {
    "scan page_views": "SELECT count(*) FROM page_views",
    "scan events": "SELECT count(*) FROM events",
    "sessions joined with their touch (session_facts' source)": """
        SELECT count(*), sum(hashtextextended(s.visitor_id, 0) % 7)
        FROM sessions s LEFT JOIN utm_tracking u
          ON u.session_id = s.session_id AND u.created_at = s.started_at
        WHERE NOT s.is_bot""",
    "events per session and type": """
        SELECT count(*) FROM (
          SELECT session_id, event_type, count(*) FROM events GROUP BY 1, 2) x""",
    "page paths (regexp) of every view": f"SELECT sum(length({PATH})) FROM page_views",
    # What the refresh reads since BI migration 0031: the path the collector stored.
    "page paths (stored) of every view": """
        SELECT sum(length(coalesce(page_path, rastro_page_path(page_url)))) FROM page_views""",
    "page views joined with their session": """
        SELECT count(*) FROM page_views v JOIN session_facts f ON f.session_id = v.session_id""",
}


def main() -> None:
    generated = ensure_generated(FULL)
    server = EmbeddedPostgres(Path(generated["data"]))
    results = {}
    try:
        with psycopg.connect(server.superuser_conninfo("rastro_bi"), autocommit=True) as conn:
            conn.execute("SET max_parallel_workers_per_gather = 0")
            conn.execute("SET work_mem = '256MB'")
            backend = psutil.Process(conn.execute("SELECT pg_backend_pid()").fetchone()[0])
            for name, sql in QUERIES.items():
                before, started = sum(backend.cpu_times()[:2]), time.perf_counter()
                conn.execute(sql).fetchall()
                results[name] = {
                    "cpu_s": round(sum(backend.cpu_times()[:2]) - before, 2),
                    "wall_s": round(time.perf_counter() - started, 2),
                    "load_average": os.getloadavg()[0],
                }
                print(name, results[name], flush=True)
    finally:
        stop_if_started(generated)
    print(json.dumps(results, indent=2))
    write_report("analytics-refresh-floor", {"sizes": generated["sizes"], "queries": results})


if __name__ == "__main__":
    main()
