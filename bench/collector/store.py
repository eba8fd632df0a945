"""The collector's database side alone: `rastro_collect()` on prepared batches.

    .venv/bin/python -m bench.collector.store [--batches 20000] [--events 1] [--group 16]

Starts a fresh embedded PostgreSQL (via `bench.harness.rastro`, idle server), prepares
batches exactly as the collector does (`collector.prepare`) for the same traffic as
`collect.lua` (a pool of 8,000 sessions, three per visitor, campaign mixes; the first event
of a batch is a page view; timestamps spread over the last minute). A warm-up starts every
session; the timed batches continue them, stored in groups on one autocommit connection as
the group writer does. Prints the wall time and PostgreSQL's CPU time per batch (and per
kind of PostgreSQL process) and the time per group. `--sql FILE` runs a file as superuser
first (another version of `rastro_collect`, say), to compare versions of the write path
without HTTP and wrk in the way. `--ab FILE` loads the function of FILE under another name
(`rastro_collect_b`) and alternates the groups between the two in the same run (the fairest
comparison on a busy machine), printing each one's wall time and the CPU of the writing
backend per batch. PostgreSQL's CPU is that of this run's own server only.

`--floor` (issue 23) alternates the groups between `rastro_collect` (A) and the cheapest
write of the same rows (B, `bench.collector.rows`: prepared multi-row statements, no
PL/pgSQL) on one connection, and prints the writing backend's CPU per event of each; it
also times this process's Python per event for the steps the server runs before the write
(JSON decoding of the request body, `collector.prepare`, and building the group's
parameters for either write), on the same bodies.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import psycopg

from bench.collector import rows
from bench.harness import ORIGIN, Running, process_cpu, rastro
from rastro.core.embedded import EmbeddedPostgres
from rastro.tracking.service import collector

CAMPAIGNS = [
    "?utm_source=google&utm_medium=cpc&utm_campaign=black-friday&gclid=",
    "?utm_source=facebook&utm_medium=paid_social&utm_campaign=remarketing&fbclid=",
    "?utm_source=tiktok&utm_medium=paid&utm_campaign=ugc&ttclid=",
    "?utm_source=newsletter&utm_medium=email&utm_campaign=weekly&x=",
    "",
    "",
]
TYPES = ["click", "scroll", "form_start", "video_play", "download", "custom"]
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0.0.0"


def payload(n: int, events: int, now_ms: int) -> dict:
    campaign = CAMPAIGNS[n % len(CAMPAIGNS)]
    url = f"{ORIGIN}/lp{campaign}{n if campaign else ''}"
    out = []
    for i in range(events):
        kind = "page_view" if i == 0 else random.choice(TYPES)
        ts = now_ms - random.randint(0, 60_000)
        event = {"event_id": str(uuid.uuid4()), "type": kind, "ts": ts, "url": url}
        if kind == "page_view":
            event |= {"referrer": "https://www.google.com/", "title": "Oferta", "view_id": "pv1"}
        else:
            event |= {"label": f"cta-{i}", "value": random.randint(1, 100)}
        out.append(event)
    return {
        "site": "x",
        "visitor_id": f"v_bench{n // 3:015d}",
        "session_id": f"s_bench{n:015d}",
        "context": {"screen": "1920x1080", "language": "pt-BR"},
        "events": out,
    }


def postgres_kind(args: list[bytes]) -> str | None:
    """`postgres: rastro_app rastro_bi …` → rastro_app (a backend), `postgres: walwriter` →
    walwriter…; None for other processes."""
    if b"postgres" not in args[0]:
        return None
    title = args[0].decode(errors="replace")
    return title.split(":", 1)[1].split()[0] if title.startswith("postgres:") else "postmaster"


def grouped(prepared: list[collector.Prepared], size: int) -> list[list[collector.Prepared]]:
    return [prepared[i : i + size] for i in range(0, len(prepared), size)]


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alternate(
    conninfo: str, warm_up: list[list[collector.Prepared]], groups: list[list[collector.Prepared]]
) -> None:
    """Groups stored alternately by `rastro_collect` (A) and `rastro_collect_b` (B)."""
    statements = {
        "A": collector.COLLECT_SQL,
        "B": collector.COLLECT_SQL.replace("rastro_collect(", "rastro_collect_b("),
    }
    wall = {"A": 0.0, "B": 0.0}
    cpu = {"A": 0.0, "B": 0.0}
    batches = {"A": 0, "B": 0}
    errors = {"A": 0, "B": 0}
    with psycopg.connect(conninfo, autocommit=True) as bi:
        pid = bi.info.backend_pid
        for i, group in enumerate(warm_up):
            bi.execute(statements["AB"[i % 2]], (collector.encode(group),))
        for i, group in enumerate(groups):
            version = "ABBA"[i % 4]
            body = collector.encode(group)
            c, t = backend_cpu(pid), time.perf_counter()
            row = bi.execute(statements[version], (body,)).fetchone()
            wall[version] += time.perf_counter() - t
            cpu[version] += backend_cpu(pid) - c
            batches[version] += len(group)
            errors[version] += sum(1 for outcome in row[0] if "error" in outcome)
    for v in "AB":
        print(
            f"{v}: {batches[v]} batches, wall {1e6 * wall[v] / batches[v]:.0f} µs/batch, "
            f"backend CPU {1e6 * cpu[v] / batches[v]:.0f} µs/batch, errors {errors[v]}"
        )
    print(f"B/A wall {wall['B'] / wall['A']:.3f}, backend CPU {cpu['B'] / max(cpu['A'], 1e-9):.3f}")


def floor(
    conninfo: str, warm_up: list[list[collector.Prepared]], groups: list[list[collector.Prepared]]
) -> None:
    """Groups stored alternately (ABBA) by `rastro_collect` (A) and by `rows.store_sync` (B)."""
    wall = {"A": 0.0, "B": 0.0}
    cpu = {"A": 0.0, "B": 0.0}
    events = {"A": 0, "B": 0}
    stored = {"A": 0, "B": 0}
    with psycopg.connect(conninfo, autocommit=True) as bi:
        pid = bi.info.backend_pid
        for group in warm_up:
            bi.execute(collector.COLLECT_SQL, (collector.encode(group),))
        for i, group in enumerate(groups[:40]):  # both ways prepared and planned first
            if i % 2:
                rows.store_sync(bi, group)
            else:
                bi.execute(collector.COLLECT_SQL, (collector.encode(group),))
        for i, group in enumerate(groups[40:-1]):  # the last one for FLOOR_EXPLAIN
            version = "ABBA"[i % 4]
            c, t = backend_cpu(pid), time.perf_counter()
            if version == "A":
                row = bi.execute(collector.COLLECT_SQL, (collector.encode(group),)).fetchone()
                done = sum(len(outcome.get("views", ())) for outcome in row[0])
            else:
                done = rows.store_sync(bi, group)
            wall[version] += time.perf_counter() - t
            cpu[version] += backend_cpu(pid) - c
            events[version] += sum(p.size for p in group)
            stored[version] += done
        if os.environ.get("FLOOR_EXPLAIN"):
            print("\n".join(rows.explain(bi, groups[-1])))
    for v, name in (("A", "rastro_collect"), ("B", "plain statements")):
        print(
            f"{v} {name}: {events[v]} events, {stored[v]} page views stored, wall "
            f"{1e6 * wall[v] / events[v]:.0f} µs/event, backend CPU "
            f"{1e6 * cpu[v] / events[v]:.0f} µs/event"
        )
    print(f"B/A wall {wall['B'] / wall['A']:.3f}, backend CPU {cpu['B'] / max(cpu['A'], 1e-9):.3f}")


def python_floor(
    site: collector.SiteContext, hit: collector.Hit, bodies: list[bytes], group: int
) -> None:
    """This process's CPU per event for decoding, preparing and each group encoding."""
    clock = time.process_time
    t = clock()
    payloads = [orjson.loads(body) for body in bodies]
    bad = [p for p in payloads if not (isinstance(p, dict) and p.get("events"))]  # read_batch
    decode = clock() - t
    t = clock()
    prepared = [collector.prepare(site=site, payload=p, hit=hit, secret="bench") for p in payloads]
    prepare = clock() - t
    groups = grouped(prepared, group)
    t = clock()
    for g in groups:
        collector.encode(g)
    encode = clock() - t
    t = clock()
    for g in groups:
        claim = rows.claim_params(g)
        fresh = set(claim[2])
        sparams = rows.session_params(g, fresh)
        sessions = {
            k: (k, 5, b["visitor"], b["domain"], False)
            for k, b in ((p.batch["csid"], p.batch) for p in g if p.batch is not None)
        }
        rows.view_params(g, fresh, sessions)
        rows.journey_params(sessions, rows._counts(sparams))
    params = clock() - t
    n = sum(p.size for p in prepared)
    print(
        f"Python CPU per event ({n} events, {len(bad)} refused, groups of {group}): JSON decoding "
        f"{1e6 * decode / n:.1f} µs, collector.prepare {1e6 * prepare / n:.1f} µs, "
        f"rastro_collect's JSON {1e6 * encode / n:.1f} µs, the plain statements' arrays "
        f"{1e6 * params / n:.1f} µs"
    )


def site_of(run: Running) -> collector.SiteContext:
    """The site the harness registered, as the collector resolves it."""
    with psycopg.connect(run.url("rastro_crm"), autocommit=True) as crm:
        crm.execute("SELECT set_config('rastro.scope', 'system', false)")
        org, domain = crm.execute(
            "SELECT organization_id, domain_id FROM domains WHERE site_key = %s",
            (run.site_key,),
        ).fetchone()
    return collector.SiteContext(org, domain, "loja.bench.example", {})


def start_sessions(run: Running, sessions: int = 8000) -> None:
    """Every session of `collect.lua`'s pool started with a page view, so that the loads
    after it continue known sessions."""
    site = site_of(run)
    hit = collector.Hit(ip="203.0.113.9", user_agent=AGENT)
    now_ms = int(time.time() * 1000)
    prepared = [
        collector.prepare(site=site, payload=payload(n, 1, now_ms), hit=hit, secret="bench")
        for n in range(1, sessions + 1)
    ]
    with psycopg.connect(run.url("rastro_bi"), autocommit=True) as bi:
        for group in grouped(prepared, 16):
            bi.execute(collector.COLLECT_SQL, (collector.encode(group),))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=1)
    parser.add_argument("--group", type=int, default=16)
    parser.add_argument("--sessions", type=int, default=8000)
    parser.add_argument("--sql", help="SQL run before (e.g. another rastro_collect)")
    parser.add_argument("--ab", help="a version of rastro_collect to alternate with")
    parser.add_argument(
        "--started",
        type=int,
        help="sessions started in the warm-up (default all; fewer: timed batches start some)",
    )
    parser.add_argument("--floor", action="store_true", help="A/B against bench.collector.rows")
    parser.add_argument("--port", type=int, default=8933)
    args = parser.parse_args()
    with rastro("store", port=args.port, workers=1) as run:
        site = site_of(run)
        hit = collector.Hit(ip="203.0.113.9", user_agent=AGENT)
        now_ms = int(time.time() * 1000)

        def batch(n: int) -> collector.Prepared:
            return collector.prepare(
                site=site,
                payload=payload(n, args.events, now_ms),
                hit=hit,
                secret="bench",
                now=datetime.now(UTC),
            )

        # The sessions started in the warm-up (all by default); the timed batches continue them.
        started = args.sessions if args.started is None else args.started
        warm_up = grouped([batch(n) for n in range(1, started + 1)], args.group)
        groups = grouped(
            [batch(random.randint(1, args.sessions)) for _ in range(args.batches)], args.group
        )
        if args.floor:
            python_floor(
                site,
                hit,
                [
                    orjson.dumps({**payload(random.randint(1, args.sessions), args.events, now_ms)})
                    for _ in range(args.batches)
                ],
                args.group,
            )
            floor(run.url("rastro_bi"), warm_up, groups)
            return
        if args.sql:
            with psycopg.connect(EmbeddedPostgres(run.data).superuser_conninfo("rastro_bi")) as su:
                su.execute(Path(args.sql).read_text())
        if args.ab:
            other = (
                Path(args.ab)
                .read_text()
                .replace("FUNCTION rastro_collect(", "FUNCTION rastro_collect_b(")
            )
            with psycopg.connect(EmbeddedPostgres(run.data).superuser_conninfo("rastro_bi")) as su:
                su.execute(other)
                su.execute("GRANT EXECUTE ON FUNCTION rastro_collect_b(jsonb) TO PUBLIC")
            alternate(run.url("rastro_bi"), warm_up, groups)
            return
        with psycopg.connect(run.url("rastro_bi"), autocommit=True) as bi:
            for group in warm_up:
                bi.execute(collector.COLLECT_SQL, (collector.encode(group),))
            before = process_cpu(postgres_kind)
            start = time.perf_counter()
            errors = 0
            took = []
            for group in groups:
                t = time.perf_counter()
                row = bi.execute(collector.COLLECT_SQL, (collector.encode(group),)).fetchone()
                took.append(time.perf_counter() - t)
                errors += sum(1 for outcome in row[0] if "error" in outcome)
            ms = sorted(1000 * t for t in took)
            wall = time.perf_counter() - start
            per_kind = {
                k: round(v - before.get(k, 0.0), 2) for k, v in process_cpu(postgres_kind).items()
            }
            pg = sum(per_kind.values())
        count = sum(len(g) for g in groups)
        print(
            f"{count} batches of {args.events} event(s) in {len(groups)} groups of up to "
            f"{args.group}: wall {1e6 * wall / count:.0f} µs/batch, PostgreSQL CPU "
            f"{1e6 * pg / count:.0f} µs/batch; per group p50 {ms[len(ms) // 2]:.1f} ms, "
            f"p90 {ms[len(ms) * 9 // 10]:.1f} ms, max {ms[-1]:.1f} ms; errors {errors}"
        )
        print("PostgreSQL CPU seconds by process:", per_kind)


if __name__ == "__main__":
    main()
