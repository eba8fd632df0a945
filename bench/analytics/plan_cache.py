"""A report's statements after they ran with other parameters: psycopg prepares a
statement on its 5th execution on a connection, and from the 6th execution of a prepared
statement PostgreSQL may plan it once for any parameters (a generic plan), chosen on the
costs of the earlier, often cheaper, ones.

    .venv/bin/python -m bench.analytics.plan_cache [--warm 10] [--modes auto,force_custom_plan]
        [--report cohorts]

For each `plan_cache_mode` (set per transaction with `SET LOCAL`; `auto` is PostgreSQL's
default), on a fresh engine (no statement prepared yet, one pooled connection): `--warm`
calls of the report over the last 30 days, then two over the last 12 months. Per call:
wall ms and the CPU ms of PostgreSQL's processes and of this process. On the data of
`bench.analytics.generate` with its rollups (`bench.analytics.rollup`). Writes
bench/results/analytics-plan-cache-<time>.json.
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

from sqlalchemy import text

from bench.analytics.app import bench_databases
from bench.analytics.generate import FULL, ensure_generated, stop_if_started
from bench.analytics.statements import postgres_cpu
from bench.harness import write_report
from rastro.analytics.schemas import ReportFilters
from rastro.analytics.service import abtests, cohorts, periods, rollups
from rastro.analytics.service.overview import Scope as ReportScope
from rastro.core.db import Databases, Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules

TIMEZONE = "America/Sao_Paulo"


async def _call(
    databases: Databases,
    organization_id: uuid.UUID,
    report: str,
    preset: str,
    mode: str,
    site: dict[str, Any],
) -> None:
    scope = Scope.organization(organization_id)
    async with databases.bi.transaction(scope) as bi, databases.crm.transaction(scope) as crm:
        if mode != "auto":
            await bi.execute(text(f"SET LOCAL plan_cache_mode = {mode}"))
        now = datetime.now(UTC)
        current, _ = periods.resolve(ReportFilters(preset=preset), TIMEZONE, now=now)
        through = await rollups.rollup_through(bi, TIMEZONE)
        if report == "cohorts":
            question = ReportScope(current, ReportFilters(), through, TIMEZONE, "BRL")
            await cohorts.cohorts(bi, crm, question, period="month", by="channel")
        else:
            await abtests.ab_test_report(
                crm,
                bi,
                organization_id,
                uuid.UUID(site["ab_test_id"]),
                date_from=current.date_from,
                date_to=current.date_to,
            )


async def run(
    server: EmbeddedPostgres, site: dict[str, Any], warm: int, modes: list[str], report: str
) -> list[dict[str, Any]]:
    postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    organization_id = uuid.UUID(site["organization_id"])
    rows = []
    for mode in modes:
        databases = bench_databases(server)
        try:
            for n, preset in enumerate(["last_30_days"] * warm + ["last_12_months"] * 2):
                cpu, own = postgres_cpu(postmaster), time.process_time()
                started = time.perf_counter()
                await _call(databases, organization_id, report, preset, mode, site)
                row = {
                    "mode": mode,
                    "call": n + 1,
                    "preset": preset,
                    "wall_ms": round(1000 * (time.perf_counter() - started)),
                    "postgres_cpu_ms": round(1000 * (postgres_cpu(postmaster) - cpu)),
                    "python_cpu_ms": round(1000 * (time.process_time() - own)),
                    "load_average": os.getloadavg()[0],
                }
                rows.append(row)
                print(row, flush=True)
        finally:
            await databases.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm", type=int, default=10, help="30-day calls before 12 months")
    parser.add_argument("--modes", default="auto,force_custom_plan")
    parser.add_argument("--report", choices=("cohorts", "ab-test"), default="cohorts")
    args = parser.parse_args()
    load_modules()
    generated = ensure_generated(FULL)
    try:
        server = EmbeddedPostgres(Path(generated["data"]))
        rows = asyncio.run(
            run(server, generated["site"], args.warm, args.modes.split(","), args.report)
        )
    finally:
        stop_if_started(generated)
    write_report("analytics-plan-cache", {"report": args.report, "warm": args.warm, "calls": rows})


if __name__ == "__main__":
    main()
