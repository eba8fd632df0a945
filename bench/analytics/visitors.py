"""Distinct visitors on the generated organization: the visitor sets
(`analytics.service.visitor_sets.distinct_visitors`) against `count(DISTINCT visitor_key)`
over `session_facts` (what the reports ran before the sets), back to back, with the
answers compared (they must be equal).

    .venv/bin/python -m bench.analytics.visitors [--small] [--requests 10]

On the data and rollups of `bench.analytics.generate` and `bench.analytics.rollup` (run
that first: the sets are written by the refresh). For the last 30 days and the last 12
months, without and with filters, each grouping the reports use (the total, per day, per
landing page): `--requests` timed calls of each way, alternating, in one BI transaction
each. Prints p50/p95 in ms and writes bench/results/analytics-visitors-<time>.json.

`--write-sets` only writes every day's visitor sets again from `session_facts` (timed),
for data whose sets a migration emptied, and lets the reports read the rollups again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text, update

from bench.analytics.app import bench_databases
from bench.analytics.generate import FULL, SMALL, ensure_generated, stop_if_started
from bench.harness import write_report
from rastro.analytics.models import RollupState
from rastro.analytics.schemas import ReportFilters
from rastro.analytics.service import periods, rollups, visitor_sets
from rastro.analytics.service.overview import Scope as ReportScope
from rastro.core.db import Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules

TIMEZONE = "America/Sao_Paulo"
SCENARIOS: tuple[tuple[str, int, ReportFilters], ...] = (
    ("30 days", 30, ReportFilters()),
    ("30 days, channel=Paid Social", 30, ReportFilters(channel="Paid Social")),
    ("30 days, campaign=gads_001", 30, ReportFilters(campaign="gads_001")),
    ("12 months", 365, ReportFilters()),
    ("12 months, channel=Paid Social", 365, ReportFilters(channel="Paid Social")),
    (
        "12 months, google/cpc on mobile",
        365,
        ReportFilters(source="google", medium="cpc", device="mobile"),
    ),
)
GROUPINGS = (None, "day", "landing_page_id")


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1)}


async def run(server: EmbeddedPostgres, organization_id: uuid.UUID, requests: int) -> list[Any]:
    databases = bench_databases(server)
    scope = Scope.organization(organization_id)
    zone = ZoneInfo(TIMEZONE)
    today = datetime.now(zone).date()
    results = []
    try:
        async with databases.bi.transaction(scope) as bi:
            through = await rollups.rollup_through(bi, TIMEZONE)
        if through is None:
            raise SystemExit("no rollups: run bench.analytics.rollup first")
        for name, days, filters in SCENARIOS:
            period = periods.period(today.fromordinal(today.toordinal() - days + 1), today, zone)
            report = ReportScope(period, filters, through, TIMEZONE, "BRL")
            for by in GROUPINGS:
                timings: dict[str, list[float]] = {"sets": [], "count_distinct": []}
                answers = {}
                for _ in range(requests + 1):  # the first of each is a warm-up
                    for way, call in (
                        ("sets", visitor_sets.distinct_visitors),
                        ("count_distinct", visitor_sets.count_distinct),
                    ):
                        async with databases.bi.transaction(scope) as bi:
                            started = time.perf_counter()
                            answers[way] = await call(bi, report, by)
                            timings[way].append(1000 * (time.perf_counter() - started))
                equal = answers["sets"] == answers["count_distinct"]
                row = {
                    "scenario": name,
                    "by": by or "total",
                    "equal": equal,
                    "groups": len(answers["sets"]),
                    "visitors": sum(answers["sets"].values()) if by is None else None,
                    **{way: _ms(t[1:]) for way, t in timings.items()},
                    "load_average": os.getloadavg()[0],
                }
                print(row, flush=True)
                results.append(row)
    finally:
        await databases.dispose()
    return results


async def write_sets(server: EmbeddedPostgres, organization_id: uuid.UUID) -> dict[str, Any]:
    """Every day's visitor sets written again from `session_facts` as they are (what a
    full refresh's "visitor sets" step does), timed; then `rollup_state` answers for the
    rollups' timezone again. For data whose sets a migration emptied (which also set the
    timezone to NULL, so that the next refresh is a full one): the other rollups are
    unchanged by it, and this step alone is minutes shorter than a full refresh."""
    databases = bench_databases(server)
    scope = Scope.organization(organization_id)
    try:
        async with databases.bi.transaction(scope) as bi:
            await bi.execute(text(f"SET LOCAL work_mem = '{rollups.REFRESH_WORK_MEM}'"))
            state = await bi.get(RollupState, organization_id)
            if state is None:
                raise SystemExit("no rollups: run bench.analytics.rollup first")
            started = time.perf_counter()
            window = rollups.Window(TIMEZONE, before=state.through)
            await visitor_sets.write_sets(bi, organization_id, window)
            seconds = time.perf_counter() - started
            await bi.execute(update(RollupState).values(timezone=TIMEZONE))
        rows = {}
        async with databases.bi.transaction(scope) as bi:
            for level in visitor_sets.LEVELS:
                rows[level.__tablename__] = await bi.scalar(select(func.count()).select_from(level))
    finally:
        await databases.dispose()
    result = {"seconds": round(seconds, 1), "rows": rows, "load_average": os.getloadavg()[0]}
    print(result, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="the 1 %% preset")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument(
        "--write-sets",
        action="store_true",
        help="only write every day's visitor sets again (after a migration emptied them)",
    )
    args = parser.parse_args()
    load_modules()
    generated = ensure_generated(SMALL if args.small else FULL)
    organization_id = uuid.UUID(generated["site"]["organization_id"])
    server = EmbeddedPostgres(Path(generated["data"]))
    try:
        if args.write_sets:
            asyncio.run(write_sets(server, organization_id))
            return
        results = asyncio.run(run(server, organization_id, args.requests))
    finally:
        stop_if_started(generated)
    write_report("analytics-visitors", {"sizes": generated["sizes"], "results": results})


if __name__ == "__main__":
    main()
