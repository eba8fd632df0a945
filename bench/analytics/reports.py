"""Latency of every analytics report endpoint on the generated organization.

    .venv/bin/python -m bench.analytics.reports [--small] [--requests 30] [--only TEXT]

Generates the data first when missing (`bench.analytics.generate`, kept under
bench/results/analytics-data), copies the leads into `conversion_facts` and refreshes the
rollups in full (timed: `bench.analytics.rollup`). Then Rastro's ASGI application
(`create_app`: every middleware, a real access token, tenant scoping and row-level
security) is driven in-process through httpx's ASGI transport, one request at a time, so
the figures are server time without the network and uvicorn.

The endpoints are read from the app's OpenAPI: every `GET /api/analytics/...`. Each runs
the scenarios below that it accepts (the last 30 days and the last 12 months, without and
with filters and comparisons; an endpoint with no date range runs once), 3 warm-up
requests then `--requests` timed ones; p50/p95/max are printed as a table and written to
bench/results/analytics-reports-<time>.json. The target is p95 ≤ 250 ms. `--only` keeps the
endpoints whose path contains one of its words (comma-separated), `--skip` leaves those out;
`--warmups` sets the untimed requests (3); `--no-refresh` reuses
the rollups as they are; `--statements` prints each scenario's slowest SQL statements
(ms per request), `--explain` the EXPLAIN (ANALYZE, BUFFERS) of the slowest (of the
`--explain-top` slowest); every row
also gives the median CPU ms per request of PostgreSQL's processes and of this process,
and the load average; `--spend` stores 13 months of ad spend first (500 ads x 4
platforms, `bench.analytics.spend_data`), for the Ads report and the correlation;
`--ab-sql` counts the A/B report in its SQL statement, as before `ab_counts` (A/B);
`--daily-spend` sums the Ads report's spend from the daily rows only (the code before the
monthly spend rollup), for a before/after pair on the same data; `--resolve-per-request`
resolves the Ads report's lead combinations through the join's rules in every request
instead of reading `combination_targets` (the code before them), likewise. With `--spend`
the spend is written by a few SQL statements (`--spend-python`: through the importer's
upsert, over 30 minutes on a busy machine).
Required parameters get `REQUIRED_VALUES` (the single-model attribution report runs
Markov); an endpoint that takes dates but no preset gets the preset's dates. A scenario
answered with an error is printed with the answer and makes the run exit with an error
once the report is written.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench.analytics import rollup, spend_data
from bench.analytics.app import bench_databases, bench_settings
from bench.analytics.generate import FULL, SMALL, ensure_generated, stop_if_started
from bench.analytics.statements import StatementTimer, explain, postgres_cpu
from bench.harness import write_report
from rastro.analytics import schemas
from rastro.analytics.service import abtests, correlation, fact_targets, periods, profit_reports
from rastro.app import close_app, create_app
from rastro.core.db import Scope as DbScope
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules

TARGET_MS = 250.0
LOGIN_EVERY_S = 300  # access tokens last 15 minutes (ACCESS_TOKEN_MINUTES)
# (name, query): an endpoint gets the parameters it declares; one that declares no date
# range runs the first scenario only.
SCENARIOS: tuple[tuple[str, dict[str, str]], ...] = (
    ("30 days", {"preset": "last_30_days"}),
    ("30 days, channel=Paid Social", {"preset": "last_30_days", "channel": "Paid Social"}),
    (
        "30 days, campaign=gads_001, vs previous",
        {"preset": "last_30_days", "campaign": "gads_001", "compare": "previous"},
    ),
    ("12 months", {"preset": "last_12_months"}),
    ("12 months, channel=Paid Social", {"preset": "last_12_months", "channel": "Paid Social"}),
    (
        "12 months, google/cpc on mobile, vs last year",
        {
            "preset": "last_12_months",
            "source": "google",
            "medium": "cpc",
            "device": "mobile",
            "compare": "year",
        },
    ),
)
RANGE_PARAMETERS = {"preset", "date_from", "date_to"}
# Values of the required query parameters that no scenario gives: the single-model
# attribution report runs its heaviest model (Markov reads the non-converting journeys
# too); the insight history asks for an ad the generated data does not have (an empty
# list). An endpoint with a required parameter not listed here fails the run.
REQUIRED_VALUES = {
    "model": "markov",
    "platform": "meta",
    "account_id": "act_bench",
    "ad_id": "ad_bench",
}
TIMEZONE = "America/Sao_Paulo"  # the generated organization's (bench.analytics.generate)


def endpoints(
    openapi: dict[str, Any], site: dict[str, Any]
) -> list[tuple[str, set[str], set[str]]]:
    """Every GET under /api/analytics/ as (path with its ids filled, query parameters,
    required ones); a path id the generated site has no value for leaves the endpoint
    out, named."""
    known = {
        "ab_test_id": site["ab_test_id"],
        "domain_id": site["domain_id"],
        "landing_page_id": site["pages"]["/oferta"],
        "page_id": site["pages"]["/oferta"],
    }
    found = []
    for path, operations in sorted(openapi["paths"].items()):
        operation = operations.get("get")
        if not path.startswith("/api/analytics/") or operation is None:
            continue
        parameters = operation.get("parameters", [])
        filled = path
        for parameter in (p for p in parameters if p["in"] == "path"):
            value = known.get(parameter["name"])
            if value is None:
                print(f"skipped {path}: no value for {parameter['name']}")
                break
            filled = filled.replace("{" + parameter["name"] + "}", str(value))
        else:
            query = [p for p in parameters if p["in"] == "query"]
            found.append(
                (
                    filled,
                    {p["name"] for p in query},
                    {p["name"] for p in query if p.get("required")},
                )
            )
    return found


def scenario_params(
    query: dict[str, str], accepted: set[str], required: set[str]
) -> dict[str, str]:
    """The scenario's parameters that the endpoint accepts: a preset becomes its dates for
    an endpoint that takes dates only, and required parameters get `REQUIRED_VALUES`."""
    params = {k: v for k, v in query.items() if k in accepted}
    if "preset" in query and "preset" not in accepted and {"date_from", "date_to"} <= accepted:
        dates, _ = periods.resolve(
            schemas.ReportFilters(preset=query["preset"]), TIMEZONE, now=datetime.now(UTC)
        )
        params |= {"date_from": str(dates.date_from), "date_to": str(dates.date_to)}
    missing = required - params.keys() - REQUIRED_VALUES.keys()
    if missing:
        raise SystemExit(f"no benchmark value for required parameter(s) {sorted(missing)}")
    return params | {k: REQUIRED_VALUES[k] for k in required - params.keys()}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def measure(
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, str],
    requests: int,
    *,
    postmaster: int | None = None,
    timer: StatementTimer | None = None,
    warmups: int = 3,
) -> dict[str, Any]:
    """`warmups` requests, then `requests` timed requests; an error answer (not 2xx) stops the
    scenario and is returned instead of the timings. Also the median CPU milliseconds per
    request of PostgreSQL's processes and of this one, and (with `timer`) the slowest
    statements."""
    for _ in range(warmups):
        response = await client.get(path, params=params)
        if not response.is_success:
            return {"status": response.status_code, "error": response.text[:300]}
    timings, pg_cpu, py_cpu = [], [], []
    if timer is not None:
        timer.take(1)
        timer.on = True
    for _ in range(requests):
        pg_before, py_before = postgres_cpu(postmaster), time.process_time()
        started = time.perf_counter()
        response = await client.get(path, params=params)
        timings.append((time.perf_counter() - started) * 1000)
        py_cpu.append((time.process_time() - py_before) * 1000)
        pg_cpu.append((postgres_cpu(postmaster) - pg_before) * 1000)
        if not response.is_success:
            return {"status": response.status_code, "error": response.text[:300]}
    p95 = _percentile(timings, 0.95)
    result: dict[str, Any] = {
        "status": response.status_code,
        "bytes": len(response.content),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(timings), 1),
        "meets_target": p95 <= TARGET_MS,
        "postgres_cpu_ms": round(statistics.median(pg_cpu), 1),
        "python_cpu_ms": round(statistics.median(py_cpu), 1),
        "load_average": os.getloadavg()[0],
    }
    if timer is not None:
        timer.on = False
        result["statements"] = timer.take(requests)
    return result


async def run(
    generated: dict[str, Any],
    requests: int,
    *,
    only: list[str],
    refresh: bool = True,
    with_spend: bool = False,
    spend_python: bool = False,
    statements: bool = False,
    explain_slowest: bool = False,
    explain_top: int = 1,
    skip: tuple[str, ...] = (),
    warmups: int = 3,
) -> dict[str, Any]:
    server = EmbeddedPostgres(Path(generated["data"]))
    site = generated["site"]
    built = (
        await rollup.build(server, uuid.UUID(site["organization_id"]), runs=1) if refresh else None
    )
    databases = bench_databases(server)
    stored_spend = (
        await spend_data.ensure_spend(
            databases,
            uuid.UUID(site["organization_id"]),
            datetime.now(UTC).date(),
            python=spend_python,
        )
        if with_spend
        else None
    )
    targets = await store_targets(databases, uuid.UUID(site["organization_id"]))
    app = create_app(bench_settings(server), databases=databases, check_migrations=False)
    postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    timer = StatementTimer(databases.bi.engine) if statements or explain_slowest else None
    organization_id = uuid.UUID(site["organization_id"])
    results: list[dict[str, Any]] = []
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=60
        ) as client:
            credentials = {"email": site["email"], "password": generated["password"]}
            logged_in = await _log_in(client, credentials)
            for path, accepted, required in endpoints(app.openapi(), site):
                if only and not any(word in path for word in only):
                    continue
                if any(word in path for word in skip):
                    continue
                ranged = bool(accepted & RANGE_PARAMETERS)
                for name, query in SCENARIOS if ranged else SCENARIOS[:1]:
                    params = scenario_params(query, accepted, required)
                    # An access token lasts minutes and a run lasts longer: a fresh one
                    # every few minutes, between scenarios (not timed).
                    if time.monotonic() - logged_in > LOGIN_EVERY_S:
                        logged_in = await _log_in(client, credentials)
                    result = await measure(
                        client,
                        path,
                        params,
                        requests,
                        postmaster=postmaster,
                        timer=timer,
                        warmups=warmups,
                    )
                    label = name if ranged else "(no date range)"
                    results.append({"endpoint": path, "scenario": label, **result})
                    print(_line(results[-1]), flush=True)
                    for found in result.get("statements", []):
                        print(f"    {found}", flush=True)
                    if explain_slowest and timer is not None and timer.slowest is not None:
                        plans = [
                            await explain(databases.bi, organization_id, *found)
                            for found in timer.ranked[:explain_top]
                        ]
                        results[-1]["slowest_plan"] = plans[0]
                        results[-1]["slowest_plans"] = plans
                        print("\n\n".join(plans), flush=True)
    finally:
        await close_app(app)
        await databases.dispose()
    return {"rollup": built, "spend": stored_spend, "targets": targets, "results": results}


async def store_targets(databases: Any, organization_id: uuid.UUID) -> dict[str, Any]:
    """The leads' combination targets as the refresh stores them (`fact_targets.store`;
    only what is missing): rows stored and seconds."""
    started = time.perf_counter()
    async with databases.bi.transaction(DbScope.organization(organization_id)) as bi:
        stored = await fact_targets.store(bi, organization_id)
    seconds = round(time.perf_counter() - started, 2)
    print(f"combination targets: {stored} stored in {seconds} s", flush=True)
    return {"stored": stored, "seconds": seconds}


async def _log_in(client: httpx.AsyncClient, credentials: dict[str, str]) -> float:
    """A fresh access token on the client; the moment it was taken."""
    client.headers.pop("Authorization", None)
    login = await client.post("/api/auth/login", json=credentials)
    login.raise_for_status()
    client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return time.monotonic()


def _line(row: dict[str, Any]) -> str:
    if "p95_ms" not in row:
        return f"{row['endpoint']:40s} {row['scenario']:48s} HTTP {row['status']}: {row['error']}"
    mark = "" if row["meets_target"] else "  > 250 ms"
    return (
        f"{row['endpoint']:40s} {row['scenario']:48s} "
        f"{row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['max_ms']:8.1f} "
        f"{row['postgres_cpu_ms']:8.1f} {row['python_cpu_ms']:8.1f} {row['load_average']:5.1f}"
        f"{mark}"
    )


async def _sql_ab_counts(
    bi: Any, window: abtests.TestWindow, page_ids: list[uuid.UUID], *, series: bool = True
) -> tuple[dict[uuid.UUID, Any], list[Any]]:
    counts, points = await abtests.sql_counts_and_series(bi, window, page_ids)
    return counts, points if series else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="the 1 %% preset")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per scenario")
    parser.add_argument("--only", default="", help="comma-separated words of endpoint paths")
    parser.add_argument("--skip", default="", help="comma-separated words: endpoints left out")
    parser.add_argument("--warmups", type=int, default=3, help="untimed requests per scenario")
    parser.add_argument("--no-refresh", action="store_true", help="keep the rollups as they are")
    parser.add_argument(
        "--statements", action="store_true", help="print each scenario's slowest SQL statements"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also EXPLAIN (ANALYZE, BUFFERS) each scenario's slowest statement",
    )
    parser.add_argument(
        "--explain-top",
        type=int,
        default=1,
        help="with --explain: how many of the slowest statements (1)",
    )
    parser.add_argument(
        "--spend",
        action="store_true",
        help="store 13 months of spend of 500 ads x 4 platforms first (bench.analytics.spend_data)",
    )
    parser.add_argument(
        "--spend-python",
        action="store_true",
        help="with --spend: store it through the importer's upsert instead of SQL (slow)",
    )
    parser.add_argument(
        "--daily-spend",
        action="store_true",
        help="the Ads report's spend from the daily rows only, as before the monthly rollup (A/B)",
    )
    parser.add_argument(
        "--resolve-per-request",
        action="store_true",
        help="the Ads report's leads and profit sides resolve every combination per request, "
        "as before combination_targets (A/B)",
    )
    parser.add_argument(
        "--ab-sql",
        action="store_true",
        help="the A/B report's counts from its SQL statement (abtests.sql_counts_and_series), "
        "as before they were worked out in memory (A/B)",
    )
    args = parser.parse_args()
    load_modules()
    if args.ab_sql:
        abtests.counts_and_series = _sql_ab_counts  # type: ignore[assignment]
    if args.daily_spend:
        correlation.spent = partial(correlation.spent, rollup=False)  # type: ignore[assignment]
    if args.resolve_per_request:
        correlation.ads_report = partial(  # type: ignore[assignment]
            correlation.ads_report, stored_targets=False
        )
        profit_reports.with_ads_profit = partial(  # type: ignore[assignment]
            profit_reports.with_ads_profit, stored_targets=False
        )
    generated = ensure_generated(SMALL if args.small else FULL)
    only = [word for word in args.only.split(",") if word]
    try:
        report = asyncio.run(
            run(
                generated,
                args.requests,
                only=only,
                refresh=not args.no_refresh,
                with_spend=args.spend,
                spend_python=args.spend_python,
                statements=args.statements,
                explain_slowest=args.explain,
                explain_top=args.explain_top,
                skip=tuple(word for word in args.skip.split(",") if word),
                warmups=args.warmups,
            )
        )
    finally:
        stop_if_started(generated)
    print(
        f"\n{'endpoint':40s} {'scenario':48s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} "
        f"{'pg cpu':>8s} {'py cpu':>8s} {'load':>5s}"
    )
    for row in report["results"]:
        print(_line(row))
    write_report(
        "analytics-reports",
        {
            "sizes": generated["sizes"],
            "rows": generated["rows"],
            "generation_seconds": generated["seconds"],
            "requests_per_scenario": args.requests,
            "target_p95_ms": TARGET_MS,
            "daily_spend": args.daily_spend,
            "ab_sql": args.ab_sql,
            "resolve_per_request": args.resolve_per_request,
            "load_average_at_end": os.getloadavg(),
            **report,
        },
    )
    failed = [row for row in report["results"] if "p95_ms" not in row]
    if failed:
        raise SystemExit(
            f"{len(failed)} scenario(s) answered an error: "
            + "; ".join(f"{r['endpoint']} ({r['scenario']}): HTTP {r['status']}" for r in failed)
        )


if __name__ == "__main__":
    main()
