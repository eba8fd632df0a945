"""The Ads report's leads side through the stored combination targets against resolving
every combination per request, A/B in one run on the analytics benchmark's data (issue 18).

    .venv/bin/python -m bench.analytics.fact_targets [--small] [--runs 6]

Stores the benchmark's 13 months of spend first when missing (`bench.analytics.spend_data`)
and the leads' combination targets (`fact_targets.store`, timed), then calls what
`/api/analytics/ads` and `/api/analytics/insights` compute on the leads side, the leads,
qualified and won deals per key (`correlation._last_touch`) and the profit lines per key
(`profit_reports._ad_lines`), for the last 30 days and the last 12 months at campaign and
ad level, alternating `stored_targets=True` and `False` (the code before), each pair in its
own BI transaction. Per way: p50 / p95 ms, and the CPU milliseconds per call of
PostgreSQL's processes and of this process; every pair's answers are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench.analytics import spend_data
from bench.analytics.app import bench_databases
from bench.analytics.generate import FULL, SMALL, ensure_generated, stop_if_started
from bench.analytics.spend_rollup import (
    LEVELS,
    SCENARIOS,
    _scope,
    alternate,
    way_figures,
    ways_line,
)
from bench.analytics.statements import postgres_cpu
from bench.harness import write_report
from rastro.analytics.service import correlation, fact_targets, profit_reports
from rastro.core.db import Databases
from rastro.core.db import Scope as DbScope
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules


async def _call(
    databases: Databases, org: uuid.UUID, scope: Any, level: str, stored: bool, postmaster: int
) -> tuple[float, float, float, Any]:
    cpu, own = postgres_cpu(postmaster), time.process_time()
    started = time.perf_counter()
    async with databases.bi.transaction(DbScope.organization(org)) as bi:
        leads = await correlation._last_touch(bi, scope, level, stored_targets=stored)
        lines = await profit_reports._ad_lines(bi, scope, level, stored_targets=stored)
    wall = (time.perf_counter() - started) * 1000
    return (
        wall,
        (postgres_cpu(postmaster) - cpu) * 1000,
        (time.process_time() - own) * 1000,
        (leads, lines),
    )


async def run(generated: dict[str, Any], runs: int) -> dict[str, Any]:
    server = EmbeddedPostgres(Path(generated["data"]))
    postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    org = uuid.UUID(generated["site"]["organization_id"])
    databases = bench_databases(server)
    results = []
    try:
        spend = await spend_data.ensure_spend(databases, org, datetime.now(UTC).date())
        started = time.perf_counter()
        async with databases.bi.transaction(DbScope.organization(org)) as bi:
            stored = await fact_targets.store(bi, org)
        store_seconds = round(time.perf_counter() - started, 2)
        print(f"spend rows: {spend['rows']}; targets stored: {stored} in {store_seconds} s")
        for name, preset in SCENARIOS:
            scope = _scope(preset)
            for level in LEVELS:
                ways, equal, answers = await alternate(
                    partial(_call, databases, org, scope, level, postmaster=postmaster), runs
                )
                row = {
                    "scenario": name,
                    "level": level,
                    "keys": len(answers[True][0]),
                    "equal": equal,
                    "load_average": round(os.getloadavg()[0], 1),
                    **way_figures(ways, ("stored", "per_request")),
                }
                results.append(row)
                print(_line(row), flush=True)
    finally:
        await databases.dispose()
    return {"spend": spend, "stored": stored, "store_seconds": store_seconds, "results": results}


def _line(row: dict[str, Any]) -> str:
    return f"keys {row['keys']:5d} " + ways_line(row, ("stored", "per_request"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="the 1 %% sessions preset")
    parser.add_argument("--runs", type=int, default=6, help="timed pairs per scenario and level")
    args = parser.parse_args()
    load_modules()
    generated = ensure_generated(SMALL if args.small else FULL)
    try:
        report = asyncio.run(run(generated, args.runs))
    finally:
        stop_if_started(generated)
    write_report("analytics-fact-targets", report)


if __name__ == "__main__":
    main()
