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

from bench.analytics.app import bench_databases
from bench.analytics.generate import FULL, SMALL, ensure_generated, stop_if_started
from bench.harness import write_report
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="the 1 %% preset")
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    load_modules()
    generated = ensure_generated(SMALL if args.small else FULL)
    organization_id = uuid.UUID(generated["site"]["organization_id"])
    server = EmbeddedPostgres(Path(generated["data"]))
    try:
        results = asyncio.run(run(server, organization_id, args.requests))
    finally:
        stop_if_started(generated)
    write_report("analytics-visitors", {"sizes": generated["sizes"], "results": results})


if __name__ == "__main__":
    main()
