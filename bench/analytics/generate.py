"""Thirteen months of one organization's traffic, leads and sales, for the analytics reports.

    .venv/bin/python -m bench.analytics.generate [--small] [--sessions 1000000]
        [--leads 100000] [--won 10000] [--months 13] [--force]

On an embedded PostgreSQL under bench/results/analytics-data (`-<sessions>` appended for
other sizes; kept between runs: the report benchmark reuses it; `--force` starts over;
`RASTRO_BENCH_ANALYTICS_DATA=<dir>` points at another checkout's data instead): one
organization (timezone America/Sao_Paulo, currency BRL) with an analyst login, a domain,
its landing pages and an A/B test of two variants, then, in SQL inside PostgreSQL
(`INSERT … SELECT generate_series`, no row through Python):

- BI: `--sessions` sessions (3 % bots; 30 % of the visitors come back 2-5 times, by
  another channel more often Direct or e-mail), one `utm_tracking` touch each (14 kinds of
  landing over 11 channels and ~200 campaigns, classified by the collector's rules), about
  5 page views and 5 interactions per human visit, `visitor_journeys`, and for every lead
  its `lead_attribution` row with all its touches, as the outbox writes them;
- CRM: `--leads` contacts and leads (the last visit of a drawn journey; the snapshot of
  the first touch, as capture credits by default), their stage history with exactly
  `--won` won leads and deals in BRL, and their `lead_created` activities.

The BI event tables' monthly partitions are filled before their indexes are built
(`staging.py`), then secured as the partition job secures them; then VACUUM ANALYZE.
Prints and stores (`generated.json` in the data directory) the sizes, row counts and the
seconds of each step.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.analytics import crm_sql, staging, tracking_sql, traffic
from bench.analytics.app import bench_databases, upgrade
from bench.harness import RESULTS
from bench.personal import seal_in_place, seal_people
from rastro.auth.service import accounts
from rastro.core.db import SYSTEM, Databases, Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.tracking.service import config

MARKER = "generated.json"
PASSWORD = "bench password 123"
ANALYST = "analytics@bench.example"


@dataclass(frozen=True)
class Sizes:
    """How much to generate."""

    sessions: int
    leads: int
    won: int
    months: int = 13
    bot_share: float = 0.03
    returning_share: float = 0.30
    views_mean: float = 4.5  # pages after the first, exponential: ~5 per human visit


FULL = Sizes(sessions=1_000_000, leads=100_000, won=10_000)
SMALL = Sizes(sessions=10_000, leads=1_000, won=100)


DATA_ENV = "RASTRO_BENCH_ANALYTICS_DATA"


def data_dir(sizes: Sizes) -> Path:
    """Where the data of these sizes is kept: one directory per size, so that a quick
    `--small` run leaves the full data alone."""
    suffix = "" if sizes == FULL else f"-{sizes.sessions}"
    chosen = os.environ.get(DATA_ENV)
    if chosen:  # another checkout's data (a worktree reusing the generated data)
        return Path(f"{chosen}{suffix}")
    return RESULTS / f"analytics-data{suffix}"


@dataclass(frozen=True)
class BenchSite:
    """The organization the data belongs to, and its login."""

    organization_id: str
    domain_id: str
    email: str
    pages: dict[str, str]  # path → landing page id
    ab_test_id: str


async def make_site(databases: Databases, *, email: str = ANALYST) -> BenchSite:
    """An organization (America/Sao_Paulo) with its admin, a domain, the landing pages of
    `traffic.PAGES` and an A/B test of the two offer variants, through the services."""
    async with databases.crm.transaction(SYSTEM) as session:
        admin = await accounts.create_user(
            session, email=email, name="Bench Analyst", password=PASSWORD
        )
        org = await accounts.create_organization(session, name="Loja Bench", admin=admin)
        org.timezone = "America/Sao_Paulo"
        org.currency = "BRL"
        organization_id = org.id
    async with databases.crm.transaction(Scope.organization(organization_id)) as session:
        domain = await config.create_domain(
            session,
            domain_url=traffic.ORIGIN,
            domain_name=None,
            allowed_origins=None,
            metadata={"settings": {"timezone": "America/Sao_Paulo"}},
            is_active=True,
        )
        pages = {}
        for path, name, _variant, _control, _weight in traffic.PAGES:
            page = await config.create_landing_page(
                session, domain_id=domain.domain_id, page_url=traffic.ORIGIN + path, page_name=name
            )
            pages[path] = page.page_id
        test, _ = await config.create_ab_test(
            session,
            domain_id=domain.domain_id,
            name="Oferta: página A contra B",
            variants=[
                {"page_id": pages[path], "page_variant": variant, "is_control": control,
                 "variant_weight": 1}
                for path, _name, variant, control, _weight in traffic.PAGES
                if variant
            ],
        )  # fmt: skip
    return BenchSite(
        organization_id=str(organization_id),
        domain_id=str(domain.domain_id),
        email=email,
        pages={path: str(page_id) for path, page_id in pages.items()},
        ab_test_id=str(test.ab_test_id),
    )


def _ranges(weights: list[float]) -> list[tuple[float, float]]:
    """Each weight's [lo, hi) slice of [0, 1); a zero weight gets an empty one."""
    total, edge, out = sum(weights), 0.0, []
    for weight in weights:
        lo = edge
        edge += weight / total
        out.append((lo, edge) if weight else (-1.0, -1.0))
    out[-1] = (out[-1][0], 1.0) if weights[-1] else out[-1]
    return out


def _fill_inputs(conn: psycopg.Connection[Any], site: BenchSite) -> int:
    """The traffic mix as temporary tables; returns the number of pages."""
    conn.execute(tracking_sql.INPUTS)
    kinds = traffic.KINDS
    first = _ranges([k.first_weight for k in kinds])
    back = _ranges([k.return_weight for k in kinds])
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO bench_kinds VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (i + 1, *first[i], *back[i], k.utm_source, k.utm_medium, k.click_id,
                 k.campaign_prefix, k.campaigns, k.referrer, *k.resolved(), k.conversion,
                 k.has_content, k.has_term)
                for i, k in enumerate(kinds)
            ],
        )  # fmt: skip
        paths: list[tuple[str, str | None, str, float, float]] = [
            (path, site.pages[path], name, weight, traffic.VARIANT_LIFT if variant == "B" else 1)
            for path, name, variant, _control, weight in traffic.PAGES
        ]
        blog_weight = traffic.BLOG_LANDING_WEIGHT / traffic.BLOG_POSTS
        paths += [
            (f"/blog/post-{n}", None, f"Blog: artigo {n}", blog_weight, 1.0)
            for n in range(1, traffic.BLOG_POSTS + 1)
        ]
        landing = _ranges([p[3] for p in paths])
        cur.executemany(
            "INSERT INTO bench_paths VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(i + 1, p[0], p[1], p[2], *landing[i], p[4]) for i, p in enumerate(paths)],
        )
        devices = _ranges([d[1] for d in traffic.DEVICES])
        cur.executemany(
            "INSERT INTO bench_devices VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(0, -1, -1, "bot", traffic.BOT_AGENT, "Googlebot", "Other", None)]
            + [(i + 1, *devices[i], d[0], *d[2:]) for i, d in enumerate(traffic.DEVICES)],
        )
        types = _ranges([w for _, w in traffic.INTERACTIONS])
        cur.executemany(
            "INSERT INTO bench_interactions VALUES (%s, %s, %s)",
            [(*types[i], t) for i, (t, _) in enumerate(traffic.INTERACTIONS)],
        )
    conn.execute("ANALYZE bench_kinds, bench_paths, bench_devices, bench_interactions")
    return len(paths)


@contextmanager
def _connect(conninfo: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection in the system scope (every organization's rows), committing on exit."""
    with psycopg.connect(conninfo) as conn:
        conn.execute("SELECT set_config('rastro.scope', 'system', false)")
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET maintenance_work_mem = '512MB'")  # the partitions' index builds
        conn.execute(tracking_sql.ROLL)
        yield conn


@contextmanager
def _clock(timings: dict[str, float], name: str) -> Iterator[None]:
    """Time the block as the step `name` (printed as it ends)."""
    started = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - started, 1)
    print(f"  {name}: {timings[name]} s", flush=True)


def _timed(timings: dict[str, float], name: str, conn: psycopg.Connection[Any], sql: str,
           params: dict[str, Any]) -> None:  # fmt: skip
    with _clock(timings, name):
        # One statement at a time: a parameterized query holds one.
        for statement in sql.split(";\n"):
            if statement.strip():
                conn.execute(statement.encode(), params)


def generate(
    crm_conninfo: str,
    bi_conninfo: str,
    site: BenchSite,
    sizes: Sizes,
    *,
    now: datetime | None = None,
) -> dict[str, float]:
    """Fill the BI and CRM databases for `site`; returns the seconds of each step."""
    now = now or datetime.now(UTC)
    start = now - timedelta(days=round(sizes.months * 30.44))
    bots = round(sizes.sessions * sizes.bot_share)
    humans = sizes.sessions - bots
    # A visitor makes 1 visit, or 2-5 (3.5 on average) with the returning share.
    per_visitor = 1 + sizes.returning_share * 2.5
    params: dict[str, Any] = {
        "org": uuid.UUID(site.organization_id),
        "domain": uuid.UUID(site.domain_id),
        "origin": traffic.ORIGIN,
        "now": now,
        "start": start,
        "span": (now - start).total_seconds(),
        "humans": humans,
        "bots": bots,
        "visitors": int(humans / per_visitor * 1.2) + 10,
        "returning": sizes.returning_share,
        "views_mean": sizes.views_mean,
        "keywords": list(traffic.KEYWORDS),
        "direct": traffic.DIRECT,
        "leads": sizes.leads,
        "won": sizes.won,
        "seller": "vendas@bench.example",
    }
    timings: dict[str, float] = {}
    with _connect(bi_conninfo) as bi:
        staging.stage(bi, start, now)
        params["paths"] = _fill_inputs(bi, site)
        _timed(timings, "visitors", bi, tracking_sql.VISITORS, params)
        _timed(timings, "draw sessions", bi, tracking_sql.SESSIONS, params)
        _timed(timings, "draw leads", bi, tracking_sql.LEADS, params)
        _timed(timings, "session facts", bi, tracking_sql.SESSION_FACTS, params)
        with (
            _clock(timings, "sessions (indexes built after)"),
            staging.indexes_rebuilt(bi, "sessions"),
        ):
            bi.execute(tracking_sql.INSERT_SESSIONS.encode(), params)
        for name, sql in tracking_sql.EVENT_STEPS:
            _timed(timings, name, bi, sql, params)
        with _clock(timings, "index and attach partitions"):
            staging.attach(bi, start, now)
        for name, sql in tracking_sql.STEPS:
            _timed(timings, name, bi, sql, params)
        with _connect(crm_conninfo) as crm:
            columns = ", ".join(f"{name} {kind}" for name, kind in tracking_sql.LEAD_COLUMNS)
            crm.execute(f"CREATE TEMP TABLE bench_leads ({columns})".encode())
            names = ", ".join(name for name, _ in tracking_sql.LEAD_COLUMNS)
            with (
                bi.cursor().copy(
                    f"COPY (SELECT {names} FROM bench_leads) TO STDOUT".encode()
                ) as out,
                crm.cursor().copy(f"COPY bench_leads ({names}) FROM STDIN".encode()) as into,
            ):
                for block in out:
                    into.write(block)
            _timed(timings, "pipeline", crm, crm_sql.PIPELINE, params)
            for name, sql in crm_sql.STEPS:
                _timed(timings, name, crm, sql, params)
            with _clock(timings, "personal fields sealed"):
                seal_people(crm, params["org"], crm_sql.SEALED_PEOPLE)
                for table, key, column, extra in crm_sql.SEALED_IN_PLACE:
                    seal_in_place(crm, table, key, column, extra=extra)
    return timings


def analyze(server: EmbeddedPostgres, crm: str, bi: str) -> float:
    """VACUUM ANALYZE both databases (as the superuser: it may vacuum every table)."""
    started = time.perf_counter()
    for database in (crm, bi):
        with psycopg.connect(server.superuser_conninfo(database), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    return round(time.perf_counter() - started, 1)


def count_rows(crm_conninfo: str, bi_conninfo: str) -> dict[str, int]:
    """The row count of every generated table."""
    counts = {}
    for conninfo, tables in (
        (bi_conninfo, ("sessions", "utm_tracking", "page_views", "events", "visitor_journeys",
                       "lead_attribution")),
        (crm_conninfo, ("contacts", "leads", "lead_stages", "deals", "activities")),
    ):  # fmt: skip
        with _connect(conninfo) as conn:
            for table in tables:
                row = conn.execute(f"SELECT count(*) FROM {table}".encode()).fetchone()
                counts[table] = int(row[0]) if row else 0
    return counts


async def _setup(server: EmbeddedPostgres) -> BenchSite:
    databases = bench_databases(server)
    try:
        return await make_site(databases)
    finally:
        await databases.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="1 %% of the full sizes")
    parser.add_argument("--sessions", type=int)
    parser.add_argument("--leads", type=int)
    parser.add_argument("--won", type=int)
    parser.add_argument("--months", type=int)
    parser.add_argument("--force", action="store_true", help="generate again from scratch")
    args = parser.parse_args()
    base = SMALL if args.small else FULL
    sizes = Sizes(
        sessions=args.sessions or base.sessions,
        leads=args.leads or base.leads,
        won=args.won if args.won is not None else base.won,
        months=args.months or base.months,
    )
    stop_if_started(ensure_generated(sizes, force=args.force))


def ensure_generated(sizes: Sizes, *, force: bool = False) -> dict[str, Any]:
    """The data of `sizes` under `data_dir(sizes)`, generated unless it is there already;
    returns the marker (site, sizes, counts, timings), `data`, the directory, and `started`,
    whether this call started the server (left running)."""
    data = data_dir(sizes)
    marker = data / MARKER
    server = EmbeddedPostgres(data)
    if marker.exists() and not force:
        stored = json.loads(marker.read_text())
        if stored["sizes"] == asdict(sizes):
            server.start()
            upgrade(server)  # migrations added since (the data stays)
            print(f"already generated: {marker}")
            return {**stored, "data": str(data), "started": server.started}
    if data.exists():
        if server.is_running():
            server.stop()
        shutil.rmtree(data)
    server.start()
    server.ensure_databases("rastro_crm", "rastro_bi")
    upgrade(server)
    site = asyncio.run(_setup(server))
    crm, bi = server.url("rastro_crm"), server.url("rastro_bi")
    print(f"generating {asdict(sizes)}", flush=True)
    started = time.perf_counter()
    timings = generate(crm, bi, site, sizes)
    timings["vacuum analyze"] = analyze(server, "rastro_crm", "rastro_bi")
    total = round(time.perf_counter() - started, 1)
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sizes": asdict(sizes),
        "site": asdict(site),
        "password": PASSWORD,
        "seconds": total,
        "steps": timings,
        "rows": count_rows(crm, bi),
    }
    marker.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: report[k] for k in ("seconds", "rows")}, indent=2))
    return {**report, "data": str(data), "started": True}


def stop_if_started(generated: dict[str, Any]) -> None:
    """Stop the server when `ensure_generated` started it (not one another process runs)."""
    if generated.get("started"):
        EmbeddedPostgres(Path(generated["data"])).stop()


if __name__ == "__main__":
    main()
