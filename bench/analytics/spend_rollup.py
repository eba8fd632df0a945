"""The Ads report's spend statement through the monthly rollup against the daily rows, A/B
in one run on the analytics benchmark's data (issue 18).

    .venv/bin/python -m bench.analytics.spend_rollup [--small] [--runs 10]

Stores the benchmark's 13 months of spend first when missing (`bench.analytics.spend_data`,
500 ads x 4 platforms), then calls `correlation.spent` (what `/api/analytics/ads` and
`/api/analytics/insights` sum spend with) for the last 30 days and the last 12 months of
the organization's days, at campaign and ad level, alternating `rollup=True` and
`rollup=False` (every day from the daily rows, the code before the rollup), each call in its
own BI transaction. Per way: p50 / p95 ms, and the CPU milliseconds per call of PostgreSQL's
processes (backends and parallel workers) and of this process; every pair's answers are
compared (they must be equal). First it counts the rollup's rows that differ from a recount
of the daily rows (0 when the triggers kept it in step).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.analytics import spend_data
from bench.analytics.app import bench_databases
from bench.analytics.generate import FULL, SMALL, ensure_generated, stop_if_started
from bench.analytics.statements import postgres_cpu
from bench.harness import write_report
from rastro.analytics.schemas import ReportFilters
from rastro.analytics.service import correlation, periods
from rastro.analytics.service.overview import Scope
from rastro.core.db import Databases
from rastro.core.db import Scope as DbScope
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules

TIMEZONE = "America/Sao_Paulo"
SCENARIOS = (("30 days", "last_30_days"), ("12 months", "last_12_months"))
LEVELS = ("campaign", "ad")
# The rollup's rows against the daily rows summed again (any difference is listed).
CHECK = text(
    "SELECT count(*) FROM ((SELECT organization_id, month, platform, account_id, ad_id, "
    "currency, campaign_id, ad_set_id, day_count, spend, conversion_value, impressions, "
    "clicks, hooked_impressions, video_3s_views, video_3s_days, conversions "
    "FROM campaign_metrics_monthly) "
    "EXCEPT ALL (SELECT organization_id, date_trunc('month', day::timestamp)::date, platform, "
    "account_id, ad_id, currency, campaign_id, ad_set_id, count(*), sum(spend), "
    "sum(conversion_value), sum(impressions), sum(clicks), "
    "coalesce(sum(impressions) FILTER (WHERE video_3s_views IS NOT NULL), 0), "
    "coalesce(sum(video_3s_views), 0), count(video_3s_views), sum(conversions) "
    "FROM campaign_metrics GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)) AS differing"
)


def _scope(preset: str) -> Scope:
    filters = ReportFilters(preset=preset)  # type: ignore[arg-type]
    period, _ = periods.resolve(filters, TIMEZONE, now=datetime.now(UTC))
    return Scope(period=period, filters=filters, through=None, timezone=TIMEZONE, currency="BRL")


async def _call(
    databases: Databases, org: uuid.UUID, scope: Scope, level: str, rollup: bool, postmaster: int
) -> tuple[float, float, float, Any]:
    cpu, own = postgres_cpu(postmaster), time.process_time()
    started = time.perf_counter()
    async with databases.bi.transaction(DbScope.organization(org)) as bi:
        answer = await correlation.spent(bi, scope, level, rollup=rollup)
    wall = (time.perf_counter() - started) * 1000
    return (
        wall,
        (postgres_cpu(postmaster) - cpu) * 1000,
        (time.process_time() - own) * 1000,
        answer,
    )


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(values), 1), "p95": round(p95, 1)}


Ways = dict[bool, dict[str, list[float]]]


async def alternate(
    call: Callable[[bool], Awaitable[tuple[float, float, float, Any]]], runs: int
) -> tuple[Ways, bool, dict[bool, Any]]:
    """`runs` timed pairs of `call(True)` and `call(False)` (each returning wall, PostgreSQL
    CPU and Python CPU milliseconds and its answer), which goes first alternating, after one
    untimed pair; returns the timings per way, whether every pair answered alike, and the
    last pair's answers."""
    ways: Ways = {way: {"wall": [], "pg": [], "py": []} for way in (True, False)}
    equal = True
    answers: dict[bool, Any] = {}
    for n in range(runs + 1):  # the first pair warms up
        answers = {}
        for way in (True, False) if n % 2 else (False, True):
            wall, pg, py, answers[way] = await call(way)
            if n:
                ways[way]["wall"].append(wall)
                ways[way]["pg"].append(pg)
                ways[way]["py"].append(py)
        equal = equal and answers[True] == answers[False]
    return ways, equal, answers


def way_figures(ways: Ways, names: tuple[str, str]) -> dict[str, Any]:
    """The medians (and the wall's p95) of each way, under `names` (True's first)."""
    return {
        (names[0] if way else names[1]): {
            "wall_ms": _stats(v["wall"]),
            "postgres_cpu_ms": round(statistics.median(v["pg"]), 1),
            "python_cpu_ms": round(statistics.median(v["py"]), 1),
        }
        for way, v in ways.items()
    }


def ways_line(row: dict[str, Any], names: tuple[str, str]) -> str:
    a, b = row[names[0]], row[names[1]]
    return (
        f"{row['scenario']:10s} {row['level']:8s} equal {row['equal']!s:5s} "
        f"load {row['load_average']:5.1f} | {names[0]} p50/p95 {a['wall_ms']['p50']:7.1f}/"
        f"{a['wall_ms']['p95']:7.1f} ms, pg cpu {a['postgres_cpu_ms']:7.1f} ms, py cpu "
        f"{a['python_cpu_ms']:6.1f} ms | {names[1]} p50/p95 {b['wall_ms']['p50']:7.1f}/"
        f"{b['wall_ms']['p95']:7.1f} ms, pg cpu {b['postgres_cpu_ms']:7.1f} ms, py cpu "
        f"{b['python_cpu_ms']:6.1f} ms"
    )


async def run(generated: dict[str, Any], runs: int) -> dict[str, Any]:
    server = EmbeddedPostgres(Path(generated["data"]))
    postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    org = uuid.UUID(generated["site"]["organization_id"])
    databases = bench_databases(server)
    results = []
    try:
        stored = await spend_data.ensure_spend(databases, org, datetime.now(UTC).date())
        async with databases.bi.transaction(DbScope.organization(org)) as bi:
            differing = int(await bi.scalar(CHECK) or 0)
        print(f"spend rows: {stored['rows']}; rollup rows differing from a recount: {differing}")
        for name, preset in SCENARIOS:
            scope = _scope(preset)
            for level in LEVELS:
                ways, equal, answers = await alternate(
                    partial(_call, databases, org, scope, level, postmaster=postmaster), runs
                )
                row = {
                    "scenario": name,
                    "level": level,
                    "rows": len(answers[True]),
                    "equal": equal,
                    "load_average": round(os.getloadavg()[0], 1),
                    **way_figures(ways, ("rollup", "daily")),
                }
                results.append(row)
                print(_line(row), flush=True)
    finally:
        await databases.dispose()
    return {"spend": stored, "rollup_rows_differing": differing, "results": results}


def _line(row: dict[str, Any]) -> str:
    return f"rows {row['rows']:5d} " + ways_line(row, ("rollup", "daily"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="the 1 %% sessions preset")
    parser.add_argument("--runs", type=int, default=10, help="timed pairs per scenario and level")
    args = parser.parse_args()
    load_modules()
    generated = ensure_generated(SMALL if args.small else FULL)
    try:
        report = asyncio.run(run(generated, args.runs))
    finally:
        stop_if_started(generated)
    write_report("analytics-spend-rollup", report)


if __name__ == "__main__":
    main()
