"""CPU and latency per click of the redirect `/e/c/{token}`, variants A/B in one process
and one run, `/healthz` as the floor:

* `now`: the plain route whose clicks are committed in groups by one CRM statement
  (`rastro_email_clicks()` v3: read, queue the click, first click time), answered after
  it; the BI events written afterwards from the queue (the writer's drain, in the
  measured window: a round ends when every click's event is stored);
* `concurrent`: the writer before (branch `mail`): the CRM function v2 and BI's
  `rastro_email_click_events()` at the same time, answered after both committed
  (installed for the run as `bench_email_clicks_v2` and `bench_email_click_events_v1`);
* `single`: today's writer that never groups (`max_clicks=1`);
* `before`: the ORM route before the group writer (a `TransactionalRoute` with the CRM
  and BI ORM sessions, three primary-key reads, an UPDATE and `record_events`).

    .venv/bin/python -m bench.email.click_cpu [--clicks 2000] [--rounds 3]
        [--concurrency 16] [--variants now,concurrent]

Starts a fresh embedded PostgreSQL under bench/results/email-click-cpu, migrates it, makes
one organization with a sent campaign (three links) and enough messages (SQL; each with its
`sent` event in BI, as the sending leaves it), and serves the real application in process
(httpx's ASGI transport, no network). Each round runs `--clicks` first clicks of fresh
messages through each variant (the order rotates) with `--concurrency` requests in flight,
and measures the Python process's CPU (client and server: the `/healthz` round is what the
client and the routing cost alone), the CPU of this PostgreSQL's processes, per click, and
the latencies; for the writers, where a click's time went (`split`: its wait for a group,
then the group's commit; for `now` also its drains). Every variant must leave the same
rows: a click event and a first-click time per message, and no click left queued.

The report is written to bench/results/email-click-cpu-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import update
from starlette.routing import Route

from bench.email.click import SEED, sent_events
from bench.harness import RESULTS, ROOT, fresh_postgres, write_report
from bench.leads.list import make_organization, percentile, settings_for
from rastro.app import close_app, create_app
from rastro.core.db import Scope, libpq_url, set_scope
from rastro.core.deps import BiSession, CrmSession
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.session import TransactionalRoute
from rastro.core.units import AutocommitCall, autocommit_connection
from rastro.email.contracts import RASTRO_EMAIL_CLICKS, ClickedLink, EmailClick
from rastro.email.errors import TrackingTokenInvalid
from rastro.email.models import Campaign, Link, Message
from rastro.email.service import tokens, tracking
from rastro.email.service.click_writer import ClickTimings, ClickWriter, spread
from rastro.email.service.events import NewEvent, record_events
from rastro.runtime import make_databases, upgrade_all

DATA = RESULTS / "email-click-cpu"


# --- before: the ORM route this change replaced (kept here only to compare) ----------------


async def _before_click(crm: Any, bi: Any, *, secret: str, token: str, user_agent: str) -> str:
    found = tokens.decode(secret, token, kind="c")
    if found is None:
        raise TrackingTokenInvalid()
    scope = Scope.organization(found.organization_id)
    await set_scope(crm, scope)
    await set_scope(bi, scope)
    message = await crm.get(Message, found.message_id)
    link = await crm.get(Link, found.link_id)
    if message is None or link is None or link.campaign_id != message.campaign_id:
        raise TrackingTokenInvalid()
    campaign = await crm.get(Campaign, message.campaign_id)
    now = datetime.now(UTC)
    await crm.execute(
        update(Message)
        .where(Message.message_id == message.message_id, Message.first_clicked_at.is_(None))
        .values(first_clicked_at=now)
    )
    await record_events(
        bi,
        events=[
            NewEvent(
                campaign_id=message.campaign_id,
                message_id=message.message_id,
                contact_id=message.contact_id,
                type="click",
                source="tracker",
                link_id=link.link_id,
                detail={"user_agent": user_agent[:300]},
                occurred_at=now,
            )
        ],
    )
    return tracking.destination(
        link.url,
        utm_source=campaign.utm_source,
        utm_campaign=campaign.utm_campaign or campaign.name,
        message_id=message.message_id,
        contact_id=message.contact_id,
    )


before_router = APIRouter(prefix="/bench-before", route_class=TransactionalRoute)
WRITERS: dict[str, ClickWriter] = {}


_V2 = AutocommitCall(
    "SELECT bench_email_clicks_v2(%s::jsonb)",
    RASTRO_EMAIL_CLICKS.encode,
    RASTRO_EMAIL_CLICKS.decode,
)
_BI_V1: AutocommitCall[list[EmailClick], Any] = AutocommitCall(
    "SELECT bench_email_click_events_v1(%s::jsonb)", RASTRO_EMAIL_CLICKS.encode, lambda v: v
)


class ConcurrentClickWriter(ClickWriter):
    """The writer before this one (kept here only to compare): the CRM function v2 (read,
    first click time) and BI's click events at the same time, the group answered after
    both committed; nothing queued, nothing to drain. (Its fallback for messages BI does
    not know is left out: every seeded message has its `sent` event.)"""

    def __init__(self, crm: str, bi: str, **options: Any) -> None:
        super().__init__(crm, bi, **options)
        self._bi_connection: Any = None

    async def _write(self, crm: Any, group: list[Any]) -> list[ClickedLink | None]:
        started, timings = time.perf_counter(), self.timings
        if self._bi_connection is None:
            self._bi_connection = await autocommit_connection(self._bi)
        clicks = [click for click, *_ in group]
        hits, _ = await asyncio.gather(_V2.on(crm, clicks), _BI_V1.on(self._bi_connection, clicks))
        if timings is not None:
            now = time.time()
            timings.sizes.append((now, len(group)))
            timings.wait.extend((now, (started - queued) * 1000) for _, queued, _ in group)
            timings.crm.append((now, (time.perf_counter() - started) * 1000))
        return hits

    def _hold(self, rows: Any) -> None:
        pass

    async def close(self) -> None:
        await super().close()
        if self._bi_connection is not None:
            await self._bi_connection.close()


def install_previous(server: EmbeddedPostgres) -> None:
    """The previous writer's CRM and BI functions, under bench names."""
    for database, name in (
        ("crm", "email_clicks_v2"),
        ("bi", "email_click_events_v1"),
    ):
        sql = (ROOT / "migrations" / database / "sql" / f"rastro_{name}.sql").read_text()
        sql = sql.replace(f"rastro_{name.rsplit('_', 1)[0]}(", f"bench_{name}(")
        conninfo = server.superuser_conninfo(f"rastro_{database}")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.encode())
            conn.execute(f"GRANT EXECUTE ON FUNCTION bench_{name}(jsonb) TO PUBLIC")


def writer_route(name: str) -> Any:
    async def click(request: Request) -> Response:
        url = await tracking.record_click(
            WRITERS[name],
            secret=str(request.app.state.settings.secret_key_value),
            token=request.path_params["token"],
            visit=tracking.Visit(None, request.headers.get("user-agent", "")),
        )
        return RedirectResponse(url, status_code=302)

    return click


@before_router.get("/c/{token}")
async def before_click(request: Request, token: str, crm: CrmSession, bi: BiSession) -> Response:
    url = await _before_click(
        crm,
        bi,
        secret=str(request.app.state.settings.secret_key_value),
        token=token,
        user_agent=request.headers.get("user-agent", ""),
    )
    return RedirectResponse(url, status_code=302)


# --- measuring ---------------------------------------------------------------------------------


def postgres_cpu(data: Path) -> float:
    """CPU seconds used so far by this PostgreSQL's postmaster and its children."""
    postmaster = int((data / "postgres" / "postmaster.pid").read_text().split()[0])
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == postmaster or int(fields[1]) == postmaster:
            total += sum(int(v) for v in fields[11:15]) / ticks
    return total


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(
    client: httpx.AsyncClient,
    paths: list[str],
    concurrency: int,
    data: Path,
    writer: ClickWriter | None = None,
) -> dict[str, Any]:
    timings: list[float] = []
    pending = iter(paths)

    async def worker() -> None:
        for path in pending:
            start = time.perf_counter()
            response = await client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
            if response.status_code not in (200, 302):
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")

    cpu, pg, wall = own_cpu(), postgres_cpu(data), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    if writer is not None:  # its clicks' events stored: their CPU is this variant's
        await writer.settled()
    wall, cpu, pg = time.perf_counter() - wall, own_cpu() - cpu, postgres_cpu(data) - pg
    return per_request(len(paths), cpu, pg, wall, timings)


def per_request(
    n: int, cpu: float, pg: float, wall: float, timings: list[float]
) -> dict[str, float]:
    """A round's figures per request from its totals (seconds) and request times (ms)."""
    return {
        "requests": n,
        "python_cpu_ms": round(1000 * cpu / n, 3),
        "postgres_cpu_ms": round(1000 * pg / n, 3),
        "total_cpu_ms": round(1000 * (cpu + pg) / n, 3),
        "wall_ms_per_request": round(1000 * wall / n, 3),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
    }


def split(timings: ClickTimings, windows: list[tuple[float, float]]) -> dict[str, Any]:
    """A writer's timings during the measured rounds (warm-ups left out)."""
    raw = timings.raw()
    inside = {
        name: [v for t, v in rows if any(a <= t <= b for a, b in windows)]
        for name, rows in raw.items()
    }
    sizes = inside.pop("sizes")
    drains = inside.pop("drain_sizes", [])
    return {
        "groups": len(sizes),
        "clicks_per_group": round(sum(sizes) / len(sizes), 2) if sizes else 0,
        "drains": len(drains),
        "clicks_per_drain": round(sum(drains) / len(drains), 2) if drains else 0,
        **{f"{name}_ms": spread(values) for name, values in inside.items() if values},
    }


def seed(server: EmbeddedPostgres, org: uuid.UUID, messages: int) -> tuple[list[uuid.UUID], int]:
    campaign = uuid.uuid4()
    with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
        params = {"org": org, "n": messages, "campaign": campaign}
        for statement in SEED.split(";\n\n"):
            conn.execute(statement.replace("%(n)s", str(messages)).encode(), params)
        link = conn.execute(
            "SELECT min(link_id) FROM email_links WHERE campaign_id = %s", (campaign,)
        ).fetchone()[0]  # type: ignore[index]
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT message_id FROM email_messages WHERE campaign_id = %s ORDER BY 1",
                (campaign,),
            )
        ]
        conn.execute("VACUUM ANALYZE email_messages, email_links, email_campaigns")
    sent_events(server, campaign)
    return ids, int(link)


def stored(server: EmbeddedPostgres, ids: list[uuid.UUID]) -> dict[str, int]:
    with psycopg.connect(server.superuser_conninfo("rastro_crm")) as crm:
        clicked = crm.execute(
            "SELECT count(*) FROM email_messages WHERE message_id = ANY(%s)"
            " AND first_clicked_at IS NOT NULL",
            (ids,),
        ).fetchone()[0]  # type: ignore[index]
        left = crm.execute(
            "SELECT count(*) FROM email_click_queue WHERE message_id = ANY(%s)", (ids,)
        ).fetchone()[0]  # type: ignore[index]
    with psycopg.connect(server.superuser_conninfo("rastro_bi")) as bi:
        events = bi.execute(
            "SELECT count(*) FROM email_message_events WHERE type = 'click'"
            " AND message_id = ANY(%s)",
            (ids,),
        ).fetchone()[0]  # type: ignore[index]
    return {
        "messages": len(ids),
        "first_clicked": clicked,
        "click_events": events,
        "left_queued": left,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server = fresh_postgres(DATA)
    report: dict[str, Any] = {
        "clicks_per_round": args.clicks,
        "rounds": args.rounds,
        "concurrency": args.concurrency,
        "load_avg_start": os.getloadavg(),
    }
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        settings = settings_for(server)
        upgrade_all(settings)
        databases = make_databases(settings)
        org = await make_organization(databases, "bench", owners=0)
        ids, link = seed(server, org["id"], len(args.variants) * (args.clicks * args.rounds + 50))
        secret = settings.secret_key_value
        variants = tuple(args.variants)
        install_previous(server)
        path = {v: f"/bench-{v}/c/" for v in variants} | {"now": "/e/c/"}
        app = create_app(settings, databases=databases, check_migrations=False)
        app.include_router(before_router)
        crm_url, bi_url = libpq_url(databases.crm.url), libpq_url(databases.bi.url)
        timed = [v for v in ("now", "concurrent") if v in variants]
        timings = {v: ClickTimings() for v in timed}
        drain = settings.email_click_drain_seconds
        WRITERS.update(
            now=ClickWriter(crm_url, bi_url, drain_seconds=drain, timings=timings.get("now")),
            concurrent=ConcurrentClickWriter(crm_url, bi_url, timings=timings.get("concurrent")),
            single=ClickWriter(crm_url, bi_url, max_clicks=1, drain_seconds=drain),
        )
        app.state.email_click_writer = WRITERS["now"]
        # Matched first, as the real route is (appended, they would be matched after every
        # module's routes: CPU the real route does not spend).
        for name in ("concurrent", "single"):
            route = Route(f"/bench-{name}/c/{{token}}", writer_route(name), methods=["GET"])
            app.router.routes.insert(0, route)
        phases: dict[str, list[tuple[float, float]]] = {v: [] for v in timed}
        given: dict[str, list[uuid.UUID]] = {v: [] for v in variants}
        rounds: list[dict[str, Any]] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            fresh = iter(ids)

            def paths(variant: str, n: int) -> list[str]:
                chosen = [next(fresh) for _ in range(n)]
                given[variant] += chosen
                return [
                    path[variant]
                    + tokens.encode(secret, tokens.TrackingToken("c", org["id"], m, link))
                    for m in chosen
                ]

            # Warm-up: pools, statement caches, the plan of each database function.
            for variant in variants:
                await measure(
                    client, paths(variant, 50), args.concurrency, DATA, WRITERS.get(variant)
                )
            for number in range(args.rounds):
                k = number % len(variants)
                order = variants[k:] + variants[:k]
                row: dict[str, Any] = {"load_avg": os.getloadavg()[0]}
                row["healthz"] = await measure(
                    client, ["/healthz"] * args.clicks, args.concurrency, DATA
                )
                for variant in order:
                    started = time.time()
                    row[variant] = await measure(
                        client,
                        paths(variant, args.clicks),
                        args.concurrency,
                        DATA,
                        WRITERS.get(variant),
                    )
                    if variant in phases:
                        phases[variant].append((started, time.time()))
                rounds.append(row)
                print(row, flush=True)
        await close_app(app)
        for writer in WRITERS.values():
            await writer.close()
        await databases.dispose()
        report["split"] = {name: split(timings[name], phases[name]) for name in timed}
        report["rounds_detail"] = rounds
        for variant in (*variants, "healthz"):
            report[variant] = {
                key: round(statistics.median(r[variant][key] for r in rounds), 3)
                for key in ("python_cpu_ms", "postgres_cpu_ms", "total_cpu_ms", "p50_ms", "p99_ms")
            }
        for other in variants:
            if other != "now" and "now" in variants:
                report[f"{other}_over_now"] = {
                    key: round(report[other][key] / report["now"][key], 2)
                    for key in ("total_cpu_ms", "postgres_cpu_ms", "p50_ms", "p99_ms")
                }
        report["stored"] = {v: stored(server, given[v]) for v in variants}
        report["load_avg_end"] = os.getloadavg()
    finally:
        server.stop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--variants",
        type=lambda v: v.split(","),
        default=["now", "concurrent"],
        help="of now, concurrent, single, before",
    )
    args = parser.parse_args()
    report = asyncio.run(run(args))
    for variant in ("healthz", *args.variants):
        print(variant, report[variant])
    print("split (ms: a click's wait for a group, the group's commit, drains):", report["split"])
    for key, value in report.items():
        if key.endswith("_over_now"):
            print(key, value)
    print("stored:", report["stored"])
    write_report("email-click-cpu", report)


if __name__ == "__main__":
    main()
