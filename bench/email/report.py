"""The campaign report over 10,000,000 events, and the recount that keeps its aggregates.

    .venv/bin/python -m bench.email.report [--messages 1000000] [--events 10000000]
        [--clickers 40] [--requests 200] [--refreshes 2] [--reuse]

Starts a fresh embedded PostgreSQL under bench/results/email-report-<events>, migrates it
and generates, in SQL (`generate_series`; nothing goes through the sender, whose own
benchmark is `bench.email.send`), what a sent campaign leaves:
- CRM: `--messages` contacts (no personal fields: the report reads none), their e-mail
  recipients, one `sent` campaign with three links and a `sent` message each; the first
  click time of every message that has a click event (`--clickers` % of them); a lead for
  1 % of the clickers, created an hour after the click, a fifth of them won with a deal;
- BI: `--events` events spread over 14 days, per message a `sent`, a `delivered` (1 % a
  hard or soft bounce instead) and the rest opens (30 % machine opens) and, for the
  clickers, clicks over the three links, with a few unsubscribes and complaints.

Then it times `aggregates.refresh_daily` (the periodic recount: twice, the first run
inserting the aggregates, the second rewriting them, with the CPU of PostgreSQL's
processes) and `GET /api/email/campaigns/{id}/report` through the real ASGI app
(authentication, tenant scoping and row-level security, no network): `--requests` times
after ten warm-up requests, p50/p95/p99, and where the time of the statements went.

`--reuse` keeps the data of an earlier run with the same `--events` that finished
generating (the database under bench/results/email-report-<events> is migrated, not
rebuilt). The report is written to bench/results/email-report-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import time
import uuid
from typing import Any

import httpx
import psycopg

from bench.email.click_cpu import postgres_cpu
from bench.email.sqltime import StatementTimes
from bench.harness import RESULTS, write_report
from bench.leads.list import PASSWORD, make_organization, percentile, settings_for
from rastro.app import close_app, create_app
from rastro.core.db import Databases, Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.crm.sealed import sealed
from rastro.email.service import aggregates
from rastro.modules import load_modules
from rastro.runtime import make_databases, upgrade_all

DATA = RESULTS / "email-report"
FIGURES = ("sent", "delivered", "opens", "unique_opens", "unique_clicks", "leads", "won_leads")

CRM = """
CREATE UNLOGGED TABLE bench_messages AS
SELECT g - 1 AS n, gen_random_uuid() AS contact_id, gen_random_uuid() AS message_id
FROM generate_series(1, %(messages)s) AS g;

INSERT INTO contacts (contact_id, organization_id, created_at, updated_at)
SELECT contact_id, %(org)s, now() - interval '30 days', now() - interval '30 days'
FROM bench_messages;

INSERT INTO email_contacts (contact_id, organization_id, status, attributes)
SELECT contact_id, %(org)s, 'active', '{}' FROM bench_messages;

INSERT INTO email_campaigns (campaign_id, organization_id, name, subject, from_name,
    from_address, html, text, status, generation_status, generated, exclusions, sent_at)
VALUES (%(campaign)s, %(org)s, 'Black Friday', 'Oferta para {{ first_name }}', 'Loja',
    'news@loja.com.br', '<p><a href="https://loja.com.br/oferta">Oferta</a></p>', '',
    'sent', 'done', %(messages)s, '{}', now() - interval '14 days');

INSERT INTO email_links (organization_id, campaign_id, url, position)
SELECT %(org)s, %(campaign)s, 'https://loja.com.br/' || p, p FROM generate_series(0, 2) AS p;

INSERT INTO email_messages (message_id, organization_id, campaign_id, contact_id, status,
    attempts, sent_at, provider_message_id)
SELECT message_id, %(org)s, %(campaign)s, contact_id, 'sent', 1,
    now() - interval '14 days', 'sim-' || message_id
FROM bench_messages
"""

# Per message: `sent`, `delivered` (a bounce for 1 %), then `per - 2` more: opens, and for
# the clickers (n % 100 < clickers) every third a click; a few unsubscribes / complaints.
EVENTS = """
INSERT INTO email_message_events (event_id, organization_id, campaign_id, message_id,
    contact_id, link_id, type, subtype, is_machine, source, external_id, occurred_at,
    recorded_at)
SELECT gen_random_uuid(), %(org)s, %(campaign)s, m.message_id, m.contact_id,
    CASE WHEN k.kind = 'click' THEN (%(links)s::int[])[1 + (m.n + k.i) % 3] END,
    k.kind,
    CASE WHEN k.kind = 'bounce' THEN (CASE WHEN m.n % 2 = 0 THEN 'hard' ELSE 'soft' END)
         WHEN k.kind = 'open' AND (m.n + k.i) % 10 < 3 THEN 'apple_mpp' END,
    k.kind = 'open' AND (m.n + k.i) % 10 < 3,
    CASE WHEN k.i < 2 THEN 'simulated' ELSE 'tracker' END,
    CASE WHEN k.i < 2 THEN k.kind || ':' || m.message_id END,
    now() - interval '14 days'
        + CASE WHEN k.i < 2 THEN (m.n % 3600) * interval '1 second'
               ELSE (3600 + (m.n::bigint * 7919 + k.i * 104729) % 1206000)
                    * interval '1 second' END,
    now()
FROM bench_messages m
CROSS JOIN LATERAL (
    SELECT i, CASE WHEN i = 0 THEN 'sent'
                   WHEN i = 1 THEN (CASE WHEN m.n % 100 = 99 THEN 'bounce' ELSE 'delivered' END)
                   WHEN i = 2 AND m.n % 300 = 11 THEN 'unsubscribe'
                   WHEN i = 2 AND m.n % 2000 = 7 THEN 'complaint'
                   WHEN m.n % 100 < %(clickers)s AND i % 3 = 2 THEN 'click'
                   ELSE 'open' END AS kind
    FROM generate_series(0, %(per)s - 1) AS i
) k
"""

FIRST_CLICKS = """
SELECT message_id, min(occurred_at) FROM email_message_events
WHERE campaign_id = %(campaign)s AND type = 'click' GROUP BY message_id
"""

LEADS = """
CREATE UNLOGGED TABLE bench_clicks (message_id uuid PRIMARY KEY, at timestamptz);
"""

APPLY = """
UPDATE email_messages m SET first_clicked_at = c.at
FROM bench_clicks c WHERE c.message_id = m.message_id;

CREATE UNLOGGED TABLE bench_leads AS
SELECT gen_random_uuid() AS lead_id, m.contact_id, c.at + interval '1 hour' AS created_at,
    row_number() OVER (ORDER BY m.message_id) AS k
FROM bench_clicks c JOIN email_messages m ON m.message_id = c.message_id
WHERE abs(hashtext(m.message_id::text)) % 100 = 0;

INSERT INTO leads (lead_id, organization_id, contact_id, lead_score, current_stage,
    stage_value, source, medium, campaign, attribution_status, created_at)
SELECT lead_id, %(org)s, contact_id, 'B', CASE WHEN k % 5 = 0 THEN 'won' ELSE 'new' END,
    CASE WHEN k % 5 = 0 THEN 100 + k % 900 END, 'newsletter', 'email', 'black-friday',
    'no_session', created_at
FROM bench_leads
"""


def _sql(statement: str) -> bytes:
    # `%` is SQL's modulo here; psycopg wants it doubled beside its %(name)s placeholders.
    return re.sub(r"%(?!\()", "%%", statement).encode()


def _run(conn: psycopg.Connection[Any], script: str, params: dict[str, Any]) -> None:
    for statement in script.split(";\n\n"):
        if statement.strip():
            conn.execute(_sql(statement), params)


def generate(server: EmbeddedPostgres, params: dict[str, Any]) -> dict[str, Any]:
    """The CRM rows, the BI events, the first clicks and the leads; counts."""
    with (
        psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as crm,
        psycopg.connect(server.superuser_conninfo("rastro_bi"), autocommit=True) as bi,
    ):
        crm.execute("SET session_replication_role = replica")  # no search-term triggers
        _run(crm, CRM, params)
        links = [
            row[0]
            for row in crm.execute(
                "SELECT link_id FROM email_links WHERE campaign_id = %s ORDER BY position",
                (params["campaign"],),
            )
        ]
        bi.execute("CREATE UNLOGGED TABLE bench_messages (n int, contact_id uuid, message_id uuid)")
        with (
            crm.cursor().copy("COPY bench_messages TO STDOUT") as out,
            bi.cursor().copy("COPY bench_messages FROM STDIN") as into,
        ):
            for chunk in out:
                into.write(chunk)
        per = max(2, round(params["events"] / params["messages"]))
        bi.execute(_sql(EVENTS), {**params, "links": links, "per": per})
        bi.execute("DROP TABLE bench_messages")
        bi.execute("VACUUM ANALYZE email_message_events")
        crm.execute(LEADS)
        with (
            bi.cursor().copy(f"COPY ({FIRST_CLICKS}) TO STDOUT", params) as out,
            crm.cursor().copy("COPY bench_clicks FROM STDIN") as into,
        ):
            for chunk in out:
                into.write(chunk)
        _run(crm, APPLY, params)
        won = crm.execute(
            "SELECT l.lead_id, l.contact_id, l.stage_value FROM leads l"
            " WHERE l.organization_id = %s AND l.current_stage = 'won'",
            (params["org"],),
        ).fetchall()
        with crm.cursor().copy(
            "COPY deals (deal_id, organization_id, lead_id, contact_id, name_encrypted, value,"
            " currency, stage) FROM STDIN"
        ) as copy:
            for lead_id, contact_id, value in won:
                copy.write_row(
                    (
                        uuid.uuid4(),
                        params["org"],
                        lead_id,
                        contact_id,
                        sealed("deals", "name", "Pedido Black Friday"),
                        value,
                        "BRL",
                        "won",
                    )
                )
        crm.execute("DROP TABLE bench_messages, bench_clicks, bench_leads")
        crm.execute("VACUUM ANALYZE contacts, email_contacts, email_messages, leads, deals")
        counts = {
            "events": bi.execute("SELECT count(*) FROM email_message_events").fetchone()[0],  # type: ignore[index]
            "clickers": crm.execute(
                "SELECT count(*) FROM email_messages WHERE first_clicked_at IS NOT NULL"
            ).fetchone()[0],  # type: ignore[index]
            "leads": crm.execute("SELECT count(*) FROM leads").fetchone()[0],  # type: ignore[index]
            "won_deals": len(won),
        }
    return counts


async def refresh(
    databases: Databases, scope: Scope, campaign: uuid.UUID, data: Any
) -> dict[str, float]:
    pg, started = postgres_cpu(data), time.perf_counter()
    async with databases.bi.transaction(scope) as bi:
        await aggregates.refresh_daily(bi, campaign_id=campaign)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "postgres_cpu_s": round(postgres_cpu(data) - pg, 2),
    }


async def report_latency(
    settings: Any, databases: Databases, email: str, campaign: uuid.UUID, requests: int
) -> dict[str, Any]:
    app = create_app(settings, databases=databases, check_migrations=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        login = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        path = f"/api/email/campaigns/{campaign}/report"
        for _ in range(10):
            (await client.get(path)).raise_for_status()
        timings = []
        for _ in range(requests):
            start = time.perf_counter()
            response = await client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
        body = response.json()
    await close_app(app)
    return {
        "requests": requests,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "p99_ms": round(percentile(timings, 0.99), 1),
        "max_ms": round(max(timings), 1),
        "figures": {k: body[k] for k in FIGURES},
        "revenue": body["revenue"],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data = DATA.with_name(f"{DATA.name}-{args.events}")
    made = data / "bench-data.json"  # what a finished generation made (for --reuse)
    reuse = args.reuse and made.exists()
    if data.exists() and not reuse:
        EmbeddedPostgres(data).stop()
        shutil.rmtree(data)
    server = EmbeddedPostgres(data)
    server.start()
    report: dict[str, Any] = {"messages": args.messages, "events_target": args.events}
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        settings = settings_for(server)
        upgrade_all(settings)
        databases = make_databases(settings)
        if reuse:
            kept = json.loads(made.read_text())
            org = {"id": uuid.UUID(kept["org"]), "email": kept["email"]}
            campaign, report["data"] = uuid.UUID(kept["campaign"]), kept["data"]
            report["reused"] = True
        else:
            org = await make_organization(databases, "bench", owners=0)
            campaign = uuid.uuid4()
            params = {
                "org": org["id"],
                "campaign": campaign,
                "messages": args.messages,
                "events": args.events,
                "clickers": args.clickers,
            }
            started = time.perf_counter()
            report["data"] = generate(server, params)
            report["data"]["seconds"] = round(time.perf_counter() - started, 1)
            kept = {"org": str(org["id"]), "email": org["email"], "campaign": str(campaign)}
            made.write_text(json.dumps({**kept, "data": report["data"]}))
        scope = Scope.organization(org["id"])
        print("data", report["data"], flush=True)
        report["load_avg_before_refresh"] = os.getloadavg()
        report["refresh_daily"] = [
            await refresh(databases, scope, campaign, data) for _ in range(args.refreshes)
        ]
        print("refresh_daily", report["refresh_daily"], flush=True)
        times = StatementTimes(databases.crm.engine, databases.bi.engine)
        report["load_avg_before_report"] = os.getloadavg()
        pg = postgres_cpu(data)
        report["report"] = await report_latency(
            settings, databases, org["email"], campaign, args.requests
        )
        report["report"]["postgres_cpu_ms_per_request"] = round(
            1000 * (postgres_cpu(data) - pg) / (args.requests + 10), 2
        )
        report["report"]["statements"] = times.top()
        report["load_avg_end"] = os.getloadavg()
        print("report", report["report"], flush=True)
        await databases.dispose()
        return report
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--clickers", type=int, default=40)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data a finished earlier run of the same --events generated",
    )
    parser.add_argument("--refreshes", type=int, default=2, help="refresh_daily runs timed")
    args = parser.parse_args()
    load_modules()
    write_report("email-report", asyncio.run(run(args)))


if __name__ == "__main__":
    main()
