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
without HTTP and wrk in the way.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench.harness import ORIGIN, process_cpu, rastro
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=1)
    parser.add_argument("--group", type=int, default=16)
    parser.add_argument("--sessions", type=int, default=8000)
    parser.add_argument("--sql", help="SQL run before (e.g. another rastro_collect)")
    args = parser.parse_args()
    with rastro("store", port=8933, workers=1) as run:
        with psycopg.connect(run.url("rastro_crm"), autocommit=True) as crm:
            crm.execute("SELECT set_config('rastro.scope', 'system', false)")
            org, domain = crm.execute(
                "SELECT organization_id, domain_id FROM domains WHERE site_key = %s",
                (run.site_key,),
            ).fetchone()
        site = collector.SiteContext(org, domain, "loja.bench.example", {})
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

        # Every session starts in the warm-up; the timed batches continue them.
        warm_up = grouped([batch(n) for n in range(1, args.sessions + 1)], args.group)
        groups = grouped(
            [batch(random.randint(1, args.sessions)) for _ in range(args.batches)], args.group
        )
        if args.sql:
            with psycopg.connect(EmbeddedPostgres(run.data).superuser_conninfo("rastro_bi")) as su:
                su.execute(Path(args.sql).read_text())
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
