"""Cohorts and the attribution comparison on the generated organization, each way A/B in
one run, answers compared:

- cohorts: each lead's first touch as the refresh stored it (`lead_first_touches`)
  against computed from the raw touches on the request (the same code with the stored
  rows deleted inside the request's transaction, then rolled back: what the report did
  before the table);
- attribution comparison (all eight models, channel level, leads): the converting
  journeys as the refresh stored them (`lead_journeys`) and Markov's non-converting ones
  counted by transition in PostgreSQL (`count_non_converting_at`), against both read
  from the raw touches as before (the stored rows deleted inside the transaction, then
  rolled back; a `Journey` object per non-converting visitor).

    .venv/bin/python -m bench.analytics.cohorts_attribution [--small] [--requests 5]
        [--only cohorts,compare]

On the data of `bench.analytics.generate` with its rollups (`bench.analytics.rollup`); fills
`lead_first_touches` and `lead_journeys` first when they are empty (each timed: that
refresh step's full cost), so run it before `bench.analytics.reports --no-refresh` on
data refreshed by older code. For the
last 30 days and the last 12 months, without and with a channel filter: `--requests`
calls of each way, alternating, each in its own transaction (the first of each way a
warm-up). Per call: wall ms, and the CPU ms of PostgreSQL's processes and of this process.
Writes bench/results/analytics-cohorts-attribution-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from bench.analytics.app import bench_databases
from bench.analytics.generate import FULL, SMALL, ensure_generated, stop_if_started
from bench.analytics.statements import postgres_cpu
from bench.harness import write_report
from rastro.analytics.attribution import MODEL_NAMES, credit_all
from rastro.analytics.models import LeadFirstTouch, LeadJourney
from rastro.analytics.schemas import ReportFilters
from rastro.analytics.service import (
    cohorts,
    first_touches,
    journey_store,
    journeys,
    periods,
    rollups,
)
from rastro.analytics.service.overview import Scope as ReportScope
from rastro.core.db import Databases, Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules

TIMEZONE = "America/Sao_Paulo"
SCENARIOS: tuple[tuple[str, int, ReportFilters], ...] = (
    ("30 days", 30, ReportFilters()),
    ("30 days, channel=Paid Social", 30, ReportFilters(channel="Paid Social")),
    ("12 months", 365, ReportFilters()),
    ("12 months, channel=Paid Social", 365, ReportFilters(channel="Paid Social")),
)
Sample = tuple[float, float, float]  # wall, PostgreSQL CPU, own CPU (ms)
Call = Callable[[Databases, ReportScope], Awaitable[tuple[Any, Sample]]]


class _Timer:
    """Wall, PostgreSQL CPU and own CPU milliseconds of one block."""

    postmaster: int = 0

    def __enter__(self) -> _Timer:
        self.cpu, self.own = postgres_cpu(self.postmaster), time.process_time()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.sample = (
            1000 * (time.perf_counter() - self.started),
            1000 * (postgres_cpu(self.postmaster) - self.cpu),
            1000 * (time.process_time() - self.own),
        )


async def _cohorts(
    databases: Databases, scope: Scope, report: ReportScope, *, stored: bool
) -> tuple[Any, Sample]:
    async with databases.bi.transaction(scope) as bi, databases.crm.transaction(scope) as crm:
        if not stored:  # not timed
            await bi.execute(text("DELETE FROM lead_first_touches"))
        with _Timer() as timer:
            answer = await cohorts.cohorts(bi, crm, report, period="month", by="channel")
        await bi.rollback()
    return answer.model_dump(exclude={"range"}), timer.sample


async def _compare(
    databases: Databases, scope: Scope, report: ReportScope, *, new: bool
) -> tuple[Any, Sample]:
    """All eight models at channel level over the period's leads, as the endpoint does:
    `new` with the stored journeys and the non-converting ones counted in PostgreSQL, else
    as before them (the stored rows deleted in the transaction, untimed, then rolled back;
    a `Journey` per non-converting visitor)."""
    async with databases.bi.transaction(scope) as bi:
        if not new:
            await bi.execute(text("DELETE FROM lead_journeys"))
        with _Timer() as timer:
            loaded = await journeys.load_journeys(
                bi,
                period=report.period,
                filters=report.filters,
                conversion="lead",
                lookback_days=journeys.DEFAULT_LOOKBACK_DAYS,
                currency=report.currency,
                non_converting=not new,
                count_non_converting=("channel",) if new else (),
            )
            by_model = credit_all(
                loaded.journeys, level="channel", counted=loaded.counted.get("channel")
            )
        await bi.rollback()
    answer = {
        "non_converting": loaded.non_converting,
        "credits": {
            name: {key: (c.conversions, c.revenue) for key, c in by_model[name].items()}
            for name in MODEL_NAMES
        },
    }
    return answer, timer.sample


def _close(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 relative (the models' sums in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


async def _fill(databases: Databases, organization_id: uuid.UUID, postmaster: int) -> Any:
    """The refresh's two new steps in full, each when its table is empty (data refreshed
    by older code): seconds and PostgreSQL CPU seconds."""
    scope = Scope.organization(organization_id)
    filled = {}
    for table, step in (
        (LeadFirstTouch, first_touches.refresh_first_touches),
        (LeadJourney, journey_store.refresh_lead_journeys),
    ):
        async with databases.bi.transaction(scope) as bi:
            present = await bi.scalar(select(func.count()).select_from(table))
        if present:
            filled[table.__tablename__] = {"rows": present, "note": "already filled"}
            continue
        cpu, started = postgres_cpu(postmaster), time.perf_counter()
        async with databases.bi.transaction(scope) as bi:
            await step(bi, organization_id, since=None)
        filled[table.__tablename__] = {
            "seconds": round(time.perf_counter() - started, 2),
            "postgres_cpu_s": round(postgres_cpu(postmaster) - cpu, 2),
            "load_average": os.getloadavg()[0],
        }
    return filled


def _summary(samples: list[Sample]) -> dict[str, float]:
    walls = sorted(s[0] for s in samples)
    return {
        "p50_ms": round(statistics.median(walls), 1),
        "max_ms": round(walls[-1], 1),
        "postgres_cpu_ms": round(statistics.mean(s[1] for s in samples)),
        "python_cpu_ms": round(statistics.mean(s[2] for s in samples)),
    }


async def run(
    server: EmbeddedPostgres, organization_id: uuid.UUID, requests: int, only: list[str]
) -> dict[str, Any]:
    databases = bench_databases(server)
    postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    _Timer.postmaster = postmaster
    scope = Scope.organization(organization_id)
    zone = ZoneInfo(TIMEZONE)
    today = datetime.now(zone).date()
    pairs: dict[str, tuple[tuple[str, Call], tuple[str, Call]]] = {
        "cohorts": (
            ("stored", lambda d, r: _cohorts(d, scope, r, stored=True)),
            ("raw", lambda d, r: _cohorts(d, scope, r, stored=False)),
        ),
        "compare": (
            ("stored+counted", lambda d, r: _compare(d, scope, r, new=True)),
            ("raw+journeys", lambda d, r: _compare(d, scope, r, new=False)),
        ),
    }
    results = []
    try:
        filled = await _fill(databases, organization_id, postmaster)
        print(f"filled: {filled}", flush=True)
        async with databases.bi.transaction(scope) as bi:
            through = await rollups.rollup_through(bi, TIMEZONE)
        for name, days, filters in SCENARIOS:
            period = periods.period(today.fromordinal(today.toordinal() - days + 1), today, zone)
            report = ReportScope(period, filters, through, TIMEZONE, "BRL")
            for report_name, ways in pairs.items():
                if only and report_name not in only:
                    continue
                samples: dict[str, list[Sample]] = {w: [] for w, _ in ways}
                answers: dict[str, Any] = {}
                for _ in range(requests + 1):
                    for way, call in ways:
                        answers[way], sample = await call(databases, report)
                        samples[way].append(sample)
                first, second = (answers[w] for w, _ in ways)
                row = {
                    "report": report_name,
                    "scenario": name,
                    "equal": _close(first, second),
                    **{way: _summary(s[1:]) for way, s in samples.items()},
                    "load_average": os.getloadavg()[0],
                }
                print(row, flush=True)
                results.append(row)
    finally:
        await databases.dispose()
    return {"filled": filled, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="the 1 %% preset")
    parser.add_argument("--requests", type=int, default=5, help="timed calls of each way")
    parser.add_argument("--only", default="", help="cohorts, compare or both (comma-separated)")
    args = parser.parse_args()
    load_modules()
    generated = ensure_generated(SMALL if args.small else FULL)
    organization_id = uuid.UUID(generated["site"]["organization_id"])
    server = EmbeddedPostgres(Path(generated["data"]))
    only = [word for word in args.only.split(",") if word]
    try:
        report = asyncio.run(run(server, organization_id, args.requests, only))
    finally:
        stop_if_started(generated)
    write_report("analytics-cohorts-attribution", {"sizes": generated["sizes"], **report})
    if not all(row["equal"] for row in report["results"]):
        raise SystemExit("the two ways answered differently")


if __name__ == "__main__":
    main()
