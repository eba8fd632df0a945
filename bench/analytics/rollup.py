"""The analytics module's own data on the generated organization: every lead copied into
`conversion_facts` (`analytics.service.facts.rebuild_facts`, what a first deploy runs),
then the rollups refreshed in full (`analytics.service.rollups.refresh(full=True)`) and
once more incrementally, each timed.

    .venv/bin/python -m bench.analytics.rollup [--small] [--runs 3] [--workers 0,2]

On the data of `bench.analytics.generate` (generated first when missing); the facts are
copied only when `conversion_facts` is empty. Prints the seconds and writes them to
bench/results/analytics-rollup-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, select, text

from bench.analytics.app import bench_databases
from bench.analytics.generate import FULL, SMALL, ensure_generated, stop_if_started
from bench.harness import write_report
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import facts, rollups
from rastro.auth.service import accounts
from rastro.core.db import Databases, Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.units import TransactionBoundary
from rastro.modules import load_modules


async def copy_facts(databases: Databases, organization_id: uuid.UUID) -> dict[str, Any]:
    """Every lead into `conversion_facts` unless it holds them already: count and seconds."""
    scope = Scope.organization(organization_id)
    async with databases.bi.transaction(scope) as bi:
        present = int(await bi.scalar(select(func.count()).select_from(ConversionFact)) or 0)
    if present:
        return {"leads": present, "seconds": None, "note": "already copied"}
    started = time.perf_counter()
    copied = await facts.rebuild_facts(
        TransactionBoundary(databases.crm), TransactionBoundary(databases.bi), organization_id
    )
    return {"leads": copied, "seconds": round(time.perf_counter() - started, 1)}


def postgres_cpu(postmaster: int | None) -> float:
    """CPU seconds (user + system) of the PostgreSQL server's processes so far: the
    postmaster's live children (backends, parallel workers) and its ended ones."""
    if postmaster is None:
        return 0.0
    root = psutil.Process(postmaster)
    total = sum(root.cpu_times()[:4])  # user, system, children_user, children_system
    for child in root.children(recursive=True):
        with suppress(psutil.NoSuchProcess):
            total += sum(child.cpu_times()[:2])
    return total


async def time_refresh(
    databases: Databases,
    organization_id: uuid.UUID,
    *,
    full: bool,
    workers: int | None = None,
    postmaster: int | None = None,
) -> dict[str, Any]:
    """One refresh in its own BI transaction (commit included): seconds, days rewritten,
    the seconds of each step and the CPU seconds of PostgreSQL and of this process;
    `workers` sets `max_parallel_workers_per_gather` for it (None: the server's)."""
    scope = Scope.organization(organization_id)
    async with databases.crm.transaction(scope) as crm:
        timezone = (await accounts.get_organization(crm, organization_id)).timezone
    steps: dict[str, float] = {}
    cpu_before, own_before = postgres_cpu(postmaster), time.process_time()
    started = time.perf_counter()
    async with databases.bi.transaction(scope) as bi:
        if workers is not None:
            await bi.execute(text(f"SET LOCAL max_parallel_workers_per_gather = {int(workers)}"))
        result = await rollups.refresh(
            bi, organization_id, timezone=timezone, full=full, steps=steps
        )
        steps["commit"] = -time.perf_counter()
    steps["commit"] = round(steps["commit"] + time.perf_counter(), 2)
    return {
        "full": result.full,
        "workers": workers,
        "days_rewritten": result.days_rewritten,
        "seconds": round(time.perf_counter() - started, 2),
        "postgres_cpu_s": round(postgres_cpu(postmaster) - cpu_before, 2),
        "python_cpu_s": round(time.process_time() - own_before, 2),
        "load_average": os.getloadavg()[0],
        "steps": steps,
    }


async def build_on(
    databases: Databases,
    organization_id: uuid.UUID,
    *,
    runs: int,
    workers: tuple[int | None, ...] = (None,),
    postmaster: int | None = None,
) -> dict[str, Any]:
    """Copy the facts, then `runs` full refreshes (each `runs` cycles through `workers`,
    back to back) and one incremental one."""
    copied = await copy_facts(databases, organization_id)
    print(f"conversion_facts: {copied}", flush=True)
    full = []
    for _ in range(runs):
        for count in workers:
            full.append(
                await time_refresh(
                    databases, organization_id, full=True, workers=count, postmaster=postmaster
                )
            )
            print(f"full refresh: {full[-1]}", flush=True)
    incremental = await time_refresh(databases, organization_id, full=False, postmaster=postmaster)
    print(f"incremental refresh: {incremental}", flush=True)
    return {"facts": copied, "full_refresh": full, "incremental_refresh": incremental}


async def build(
    server: EmbeddedPostgres,
    organization_id: uuid.UUID,
    *,
    runs: int,
    workers: tuple[int | None, ...] = (None,),
) -> dict[str, Any]:
    """`build_on` the benchmark's databases."""
    databases = bench_databases(server)
    postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    try:
        return await build_on(
            databases, organization_id, runs=runs, workers=workers, postmaster=postmaster
        )
    finally:
        await databases.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="the 1 %% preset")
    parser.add_argument("--runs", type=int, default=3, help="full refreshes to time")
    parser.add_argument(
        "--workers",
        default="",
        help="comma-separated max_parallel_workers_per_gather values; each run does one "
        "full refresh per value, back to back (default: the server's setting)",
    )
    args = parser.parse_args()
    workers = tuple(int(w) for w in args.workers.split(",") if w) or (None,)
    load_modules()
    generated = ensure_generated(SMALL if args.small else FULL)
    organization_id = uuid.UUID(generated["site"]["organization_id"])
    server = EmbeddedPostgres(Path(generated["data"]))
    try:
        result = asyncio.run(build(server, organization_id, runs=args.runs, workers=workers))
    finally:
        stop_if_started(generated)
    write_report(
        "analytics-rollup",
        {"sizes": generated["sizes"], "rows": generated["rows"], **result},
    )


if __name__ == "__main__":
    main()
