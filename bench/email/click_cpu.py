"""CPU per click of the redirect `/e/c/{token}`: the plain route whose clicks are
committed in groups (now) against the same route committing each click alone (single) and
the ORM route it replaced (before), in one process and one run, `/healthz` as the floor.

    .venv/bin/python -m bench.email.click_cpu [--clicks 2000] [--rounds 3] [--concurrency 16]

Starts a fresh embedded PostgreSQL under bench/results/email-click-cpu, migrates it, makes
one organization with a sent campaign (three links) and `3 * (clicks * rounds + 50)` messages
(SQL), and serves the real application in process (httpx's ASGI transport, no network).
`before` is the previous implementation, mounted for the run under `/bench-before/c/`:
a `TransactionalRoute` with the CRM and BI ORM sessions, three primary-key reads, an
UPDATE and the event INSERT (`record_events`), committed at the end of the request;
`single` is today's route with a click writer that never groups (`max_clicks=1`, under
`/bench-single/c/`). Each round runs `--clicks` first clicks of fresh messages through
each variant (the order rotates) with `--concurrency` requests in flight, and measures
the Python process's CPU (client and server: the `/healthz` round is what the client and
the routing cost alone) and the CPU of this PostgreSQL's processes, per click. Every
variant must leave the same rows: a click event and a first-click time per message.

The report is written to bench/results/email-click-cpu-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
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

from bench.email.click import SEED
from bench.harness import RESULTS, write_report
from bench.leads.list import make_organization, percentile, settings_for
from rastro.app import close_app, create_app
from rastro.core.db import Scope, libpq_url, set_scope
from rastro.core.deps import BiSession, CrmSession
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.session import TransactionalRoute
from rastro.email.errors import TrackingTokenInvalid
from rastro.email.models import Campaign, Link, Message
from rastro.email.service import tokens, tracking
from rastro.email.service.click_writer import ClickWriter
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
SINGLE: dict[str, ClickWriter] = {}


async def single_click(request: Request) -> Response:
    url = await tracking.record_click(
        SINGLE["writer"],
        secret=str(request.app.state.settings.secret_key_value),
        token=request.path_params["token"],
        visit=tracking.Visit(None, request.headers.get("user-agent", "")),
    )
    return RedirectResponse(url, status_code=302)


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
    client: httpx.AsyncClient, paths: list[str], concurrency: int, data: Path
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
    wall, cpu, pg = time.perf_counter() - wall, own_cpu() - cpu, postgres_cpu(data) - pg
    n = len(paths)
    return {
        "requests": n,
        "python_cpu_ms": round(1000 * cpu / n, 3),
        "postgres_cpu_ms": round(1000 * pg / n, 3),
        "total_cpu_ms": round(1000 * (cpu + pg) / n, 3),
        "wall_ms_per_request": round(1000 * wall / n, 3),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
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
    return ids, int(link)


def stored(server: EmbeddedPostgres, ids: list[uuid.UUID]) -> dict[str, int]:
    with psycopg.connect(server.superuser_conninfo("rastro_crm")) as crm:
        clicked = crm.execute(
            "SELECT count(*) FROM email_messages WHERE message_id = ANY(%s)"
            " AND first_clicked_at IS NOT NULL",
            (ids,),
        ).fetchone()[0]  # type: ignore[index]
    with psycopg.connect(server.superuser_conninfo("rastro_bi")) as bi:
        events = bi.execute(
            "SELECT count(*) FROM email_message_events WHERE type = 'click'"
            " AND message_id = ANY(%s)",
            (ids,),
        ).fetchone()[0]  # type: ignore[index]
    return {"messages": len(ids), "first_clicked": clicked, "click_events": events}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if DATA.exists():
        EmbeddedPostgres(DATA).stop()
        shutil.rmtree(DATA)
    server = EmbeddedPostgres(DATA)
    server.start()
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
        ids, link = seed(server, org["id"], 3 * (args.clicks * args.rounds + 50))
        secret = settings.secret_key_value
        variants = ("now", "single", "before")
        path = {"now": "/e/c/", "single": "/bench-single/c/", "before": "/bench-before/c/"}
        app = create_app(settings, databases=databases, check_migrations=False)
        app.include_router(before_router)
        app.add_route("/bench-single/c/{token}", single_click, methods=["GET"])
        SINGLE["writer"] = ClickWriter(
            libpq_url(databases.crm.url), libpq_url(databases.bi.url), max_clicks=1
        )
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
                await measure(client, paths(variant, 50), args.concurrency, DATA)
            for number in range(args.rounds):
                order = variants[number % 3 :] + variants[: number % 3]
                row: dict[str, Any] = {"load_avg": os.getloadavg()[0]}
                row["healthz"] = await measure(
                    client, ["/healthz"] * args.clicks, args.concurrency, DATA
                )
                for variant in order:
                    row[variant] = await measure(
                        client, paths(variant, args.clicks), args.concurrency, DATA
                    )
                rounds.append(row)
                print(row, flush=True)
        await close_app(app)
        await SINGLE["writer"].close()
        await databases.dispose()
        report["rounds_detail"] = rounds
        for variant in (*variants, "healthz"):
            report[variant] = {
                key: round(statistics.median(r[variant][key] for r in rounds), 3)
                for key in ("python_cpu_ms", "postgres_cpu_ms", "total_cpu_ms", "p50_ms", "p99_ms")
            }
        report["ratio_before_over_now_total_cpu"] = round(
            report["before"]["total_cpu_ms"] / report["now"]["total_cpu_ms"], 2
        )
        report["ratio_single_over_now_total_cpu"] = round(
            report["single"]["total_cpu_ms"] / report["now"]["total_cpu_ms"], 2
        )
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
    args = parser.parse_args()
    report = asyncio.run(run(args))
    for variant in ("healthz", "now", "single", "before"):
        print(variant, report[variant])
    print("before / now (total CPU per click):", report["ratio_before_over_now_total_cpu"])
    print("single / now (total CPU per click):", report["ratio_single_over_now_total_cpu"])
    print("stored:", report["stored"])
    write_report("email-click-cpu", report)


if __name__ == "__main__":
    main()
