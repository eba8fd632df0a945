"""The analytics module's own data on the generated organization: every lead copied into
`conversion_facts` (`analytics.service.facts.rebuild_facts`, what a first deploy runs),
then the rollups refreshed in full (`analytics.service.rollup_refresh.refresh(full=True)`)
and once more incrementally, each timed.

    .venv/bin/python -m bench.analytics.rollup [--small] [--runs 3] [--workers 0,2]
        [--paths stored,regexp] [--side 0,2] [--statements]

On the data of `bench.analytics.generate` (generated first when missing); the facts are
copied only when `conversion_facts` is empty. Prints the seconds and writes them to
bench/results/analytics-rollup-<time>.json.

`--paths regexp` times a refresh as it was before BI migration 0031: the page path of
every view computed from its URL by the regexp (`rastro_page_path`) instead of read from
the column the collector stores; `--paths stored,regexp` alternates the two per run.
`--side 0,2` alternates, per run, a full refresh in one transaction on one connection (0,
the API's refresh) and one staged on 2 side connections at once (the worker's:
`rollup_refresh.refresh(side=…)`); `--workers` sets the refresh's own connection only.
`--statements` also prints each statement of the refreshes that took over a second: its
wall seconds and the PostgreSQL server's CPU seconds (parallel workers included).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text

from bench.analytics.app import bench_databases
from bench.analytics.generate import FULL, SMALL, ensure_generated, stop_if_started
from bench.analytics.statements import postgres_cpu
from bench.harness import write_report
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import facts, rollup_refresh
from rastro.auth.service import accounts
from rastro.core.db import Databases, Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.units import TransactionBoundary
from rastro.modules import load_modules
from rastro.tracking.models import PageView
from rastro.tracking.service import facts as tracking_facts

PATHS = ("stored", "regexp")


def time_statements(databases: Databases, postmaster: int | None) -> None:
    """Print every BI statement that takes over a second: wall and server CPU seconds."""
    started: list[tuple[float, float]] = []

    def before(*_: Any) -> None:
        started.append((time.perf_counter(), postgres_cpu(postmaster)))

    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        wall, cpu = started.pop()
        seconds = time.perf_counter() - wall
        if seconds >= 1:
            shown = " ".join(statement.split())[:110]
            used = postgres_cpu(postmaster) - cpu
            print(f"  {seconds:6.2f} s wall {used:6.2f} s CPU  {shown}", flush=True)

    event.listen(databases.bi.engine.sync_engine, "before_cursor_execute", before)
    event.listen(databases.bi.engine.sync_engine, "after_cursor_execute", after)


@contextmanager
def paths_read(how: str) -> Iterator[None]:
    """Page paths read from the stored column (`stored`, the code as it is) or computed
    from every view's URL (`regexp`, the refresh before BI migration 0031)."""
    if how == "stored":
        yield
        return
    stored = tracking_facts.page_view_paths

    def computed(since: Any, until: Any) -> Any:
        query = stored(since, until)
        path = tracking_facts.page_path(PageView.page_url).label("page_path")
        return query.with_only_columns(
            *(path if c.name == "page_path" else c for c in query.selected_columns)
        )

    tracking_facts.page_view_paths = computed
    try:
        yield
    finally:
        tracking_facts.page_view_paths = stored


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


async def time_refresh(
    databases: Databases,
    organization_id: uuid.UUID,
    *,
    full: bool,
    workers: int | None = None,
    paths: str = "stored",
    side: int = 0,
    postmaster: int | None = None,
) -> dict[str, Any]:
    """One refresh in its own BI transaction (commit included): seconds, days rewritten,
    the seconds of each step and the CPU seconds of PostgreSQL and of this process;
    `workers` sets `max_parallel_workers_per_gather` for it (None: the server's), `paths`
    how page paths are read (`paths_read`), `side` the side connections of a full refresh
    (0: none, all in the refresh's own transaction)."""
    scope = Scope.organization(organization_id)
    async with databases.crm.transaction(scope) as crm:
        timezone = (await accounts.get_organization(crm, organization_id)).timezone
    steps: dict[str, float] = {}
    cpu_before, own_before = postgres_cpu(postmaster), time.process_time()
    started = time.perf_counter()
    async with databases.bi.transaction(scope) as bi:
        if workers is not None:
            await bi.execute(text(f"SET LOCAL max_parallel_workers_per_gather = {int(workers)}"))
        with paths_read(paths):
            result = await rollup_refresh.refresh(
                bi,
                organization_id,
                timezone=timezone,
                full=full,
                steps=steps,
                side=TransactionBoundary(databases.bi) if side else None,
                connections=side or 1,
            )
        steps["commit"] = -time.perf_counter()
    steps["commit"] = round(steps["commit"] + time.perf_counter(), 2)
    return {
        "full": result.full,
        "workers": workers,
        "paths": paths,
        "side": side,
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
    paths: tuple[str, ...] = ("stored",),
    side: tuple[int, ...] = (0,),
    postmaster: int | None = None,
) -> dict[str, Any]:
    """Copy the facts, then `runs` full refreshes (each run cycles through every
    combination of `workers`, `paths` and `side`, back to back) and one incremental one."""
    copied = await copy_facts(databases, organization_id)
    print(f"conversion_facts: {copied}", flush=True)
    full = []
    for _ in range(runs):
        for count in workers:
            for how in paths:
                for connections in side:
                    full.append(
                        await time_refresh(
                            databases,
                            organization_id,
                            full=True,
                            workers=count,
                            paths=how,
                            side=connections,
                            postmaster=postmaster,
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
    paths: tuple[str, ...] = ("stored",),
    side: tuple[int, ...] = (0,),
    statements: bool = False,
) -> dict[str, Any]:
    """`build_on` the benchmark's databases."""
    databases = bench_databases(server)
    postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    if statements:
        time_statements(databases, postmaster)
    try:
        return await build_on(
            databases,
            organization_id,
            runs=runs,
            workers=workers,
            paths=paths,
            side=side,
            postmaster=postmaster,
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
    parser.add_argument(
        "--paths",
        default="stored",
        help="comma-separated ways to read page paths, each per run: stored (the column), "
        "regexp (computed from every URL, as before BI migration 0031)",
    )
    parser.add_argument(
        "--side",
        default="0",
        help="comma-separated side connections of a full refresh, each per run: 0 (one "
        "transaction on one connection), N (staged on N connections at once)",
    )
    parser.add_argument("--statements", action="store_true", help="time each statement")
    args = parser.parse_args()
    workers = tuple(int(w) for w in args.workers.split(",") if w) or (None,)
    paths = tuple(p for p in args.paths.split(",") if p)
    side = tuple(int(n) for n in args.side.split(",") if n) or (0,)
    if not paths or set(paths) - set(PATHS):
        parser.error(f"--paths takes {', '.join(PATHS)}")
    load_modules()
    generated = ensure_generated(SMALL if args.small else FULL)
    organization_id = uuid.UUID(generated["site"]["organization_id"])
    server = EmbeddedPostgres(Path(generated["data"]))
    try:
        result = asyncio.run(
            build(
                server,
                organization_id,
                runs=args.runs,
                workers=workers,
                paths=paths,
                side=side,
                statements=args.statements,
            )
        )
    finally:
        stop_if_started(generated)
    write_report(
        "analytics-rollup",
        {"sizes": generated["sizes"], "rows": generated["rows"], **result},
    )


if __name__ == "__main__":
    main()
