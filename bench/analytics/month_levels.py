"""What the refresh's month levels and lead visitor sets add to a refresh, and how many
rows the month levels hold against the day levels.

    .venv/bin/python -m bench.analytics.month_levels [--runs 2]

On the data of `bench.analytics.generate` with its rollups refreshed: each run writes, in
a transaction rolled back afterwards, the month levels of the conversion and event
rollups (`rollup_months.write_months`) and the lead visitor sets
(`lead_sets.write_lead_sets`) as a full refresh does (every day) and as an incremental
one does (the days from `LATE_SESSIONS` before now), each timed in wall seconds and the
PostgreSQL server's CPU seconds. Writes bench/results/analytics-month-levels-<time>.json.
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
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from bench.analytics.app import bench_databases
from bench.analytics.generate import FULL, ensure_generated, stop_if_started
from bench.analytics.statements import postgres_cpu
from bench.harness import write_report
from rastro.analytics.service import lead_sets, rollup_months, rollups
from rastro.analytics.service.rollup_shapes import LATE_SESSIONS, REFRESH_WORK_MEM, Window
from rastro.core.db import Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules

TIMEZONE = "America/Sao_Paulo"


async def run(server: EmbeddedPostgres, site: dict[str, Any], runs: int) -> dict[str, Any]:
    postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    organization_id = uuid.UUID(site["organization_id"])
    scope = Scope.organization(organization_id)
    databases = bench_databases(server)
    now = datetime.now(UTC)
    since = (now - LATE_SESSIONS).astimezone(ZoneInfo(TIMEZONE)).date()
    windows = {
        "full": Window(TIMEZONE, before=now),
        "incremental": Window(TIMEZONE, before=now, from_day=since),
    }
    steps: dict[str, Any] = {
        "months: conversions": lambda bi, w: rollup_months.write_months(
            bi, organization_id, rollups.CONVERSIONS, w
        ),
        "months: events": lambda bi, w: rollup_months.write_months(
            bi, organization_id, rollups.EVENTS, w
        ),
        "lead visitor sets": lambda bi, w: lead_sets.write_lead_sets(bi, organization_id, w),
    }
    timings = []
    rows: dict[str, int] = {}
    try:
        async with databases.bi.transaction(scope) as bi:
            for rollup in (rollups.CONVERSIONS, rollups.EVENTS):
                for level in (*rollup.levels, *(m for m in rollup.months if m is not None)):
                    count = await bi.scalar(select(func.count()).select_from(level))
                    rows[level.__tablename__] = int(count or 0)
        for run_number in range(runs):
            for kind, window in windows.items():
                for name, step in steps.items():
                    async with databases.bi.transaction(scope) as bi:
                        await bi.execute(text(f"SET LOCAL work_mem = '{REFRESH_WORK_MEM}'"))
                        cpu, started = postgres_cpu(postmaster), time.perf_counter()
                        await step(bi, window)
                        timing = {
                            "run": run_number + 1,
                            "refresh": kind,
                            "step": name,
                            "seconds": round(time.perf_counter() - started, 2),
                            "postgres_cpu_s": round(postgres_cpu(postmaster) - cpu, 2),
                            "load_average": os.getloadavg()[0],
                        }
                        await bi.rollback()
                    timings.append(timing)
                    print(timing, flush=True)
    finally:
        await databases.dispose()
    return {"rows": rows, "timings": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    load_modules()
    generated = ensure_generated(FULL)
    try:
        server = EmbeddedPostgres(Path(generated["data"]))
        report = asyncio.run(run(server, generated["site"], args.runs))
    finally:
        stop_if_started(generated)
    print(report["rows"])
    write_report("analytics-month-levels", report)


if __name__ == "__main__":
    main()
