"""The plans of a full refresh's aggregates on the generated data: `EXPLAIN (ANALYZE,
BUFFERS)` of each rollup's complete level (conversions, events, page paths), of the
visitor sets' and of the sessions copied into `session_facts`, each with the PostgreSQL
server's CPU seconds, in a transaction that is rolled back (nothing is written).

    .venv/bin/python -m bench.analytics.refresh_plans [--only conversions,paths]
        [--workers 0] [--work-mem 256MB]

The queries are the refresh's own (`rollup_refresh`), run as `SELECT`s: what `CREATE
TABLE … AS` stages, without the write.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, text

from bench.analytics.app import bench_databases
from bench.analytics.generate import FULL, ensure_generated, stop_if_started
from bench.analytics.statements import postgres_cpu
from rastro.analytics.models import SessionFact
from rastro.analytics.service import behavior, event_summary, rollups, visitor_sets
from rastro.analytics.service.rollup_shapes import REFRESH_WORK_MEM, Window
from rastro.core.db import Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules

TIMEZONE = "America/Sao_Paulo"


def queries(window: Window) -> dict[str, Select[Any]]:
    sessions = SessionFact.__table__

    def complete(rollup: rollups.Rollup) -> tuple[str, ...]:
        return rollup.dimensions(rollup.complete)

    return {
        "conversions": rollups.conversion_rows(sessions, window, complete(rollups.CONVERSIONS)),
        "events": event_summary.rows(sessions, window, complete(rollups.EVENTS)),
        "paths": behavior.path_rows_of(sessions, window, complete(rollups.PATHS)),
        "sets": visitor_sets.set_rows(window),
        "sessions": rollups.session_facts_source(None),
    }


async def explain(
    server: EmbeddedPostgres,
    organization_id: uuid.UUID,
    only: list[str],
    workers: int | None,
    work_mem: str,
) -> None:
    databases = bench_databases(server)
    postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    window = Window(TIMEZONE, before=datetime.now(UTC))
    try:
        async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
            connection = await bi.connection()
            await connection.execute(text(f"SET LOCAL work_mem = '{work_mem}'"))
            if workers is not None:
                await connection.execute(
                    text(f"SET LOCAL max_parallel_workers_per_gather = {int(workers)}")
                )
            for name, query in queries(window).items():
                if only and name not in only:
                    continue
                compiled = query.compile(dialect=connection.dialect)
                cpu, wall = postgres_cpu(postmaster), time.perf_counter()
                plan = await connection.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", compiled.params
                )
                lines = [row[0] for row in plan]
                used = postgres_cpu(postmaster) - cpu
                print(
                    f"=== {name}: {time.perf_counter() - wall:.2f} s wall, {used:.2f} s "
                    f"PostgreSQL CPU, load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                print("\n".join(lines), flush=True)
            await bi.rollback()
    finally:
        await databases.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", default="", help="comma-separated: " + ", ".join(queries(Window(TIMEZONE)))
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--work-mem", default=REFRESH_WORK_MEM)
    args = parser.parse_args()
    load_modules()
    generated = ensure_generated(FULL)
    organization_id = uuid.UUID(generated["site"]["organization_id"])
    server = EmbeddedPostgres(Path(generated["data"]))
    only = [n for n in args.only.split(",") if n]
    try:
        asyncio.run(explain(server, organization_id, only, args.workers, args.work_mem))
    finally:
        stop_if_started(generated)


if __name__ == "__main__":
    main()
