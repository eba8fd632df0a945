"""An e-mail campaign to 1,000,000 contacts end to end: message generation, simulated
sending with its events, and the campaign report over 10,000,000 events.

    .venv/bin/python -m bench.email.pipeline [--contacts 1000000] [--events 10000000]
        [--gen-batch 5000] [--send-batch 200] [--send-seconds 600] [--requests 30]

Starts a fresh embedded PostgreSQL under bench/results/email-data-<contacts>, migrates it and makes
one organization with `--contacts` CRM contacts and their e-mail recipients (generated in
SQL: 96 % active, 1 % each bounced, complained, unconfirmed and unsubscribed, and 0.5 %
of the active ones on the suppression list), all on one static audience, and a campaign
whose HTML has three links. Then, timed separately, through the same service functions
the jobs run (`rastro.email.jobs`), one transaction per batch:

1. generation: `start_sending` and `generation.generate_batch` until done;
2. sending: `sending.send_batch` with the simulated sender until nothing is queued (each
   message rendered for its recipient, links signed, a `sent` and a `delivered` event per
   message in the BI database), or `--send-seconds` passed (then the rate is reported);
3. the report: the BI events are topped up in SQL to `--events` (opens, 30 % of them
   machine opens, clicks over the three links, a few bounces, complaints and
   unsubscribes, over 14 days), VACUUM ANALYZE, one `aggregates.refresh_daily` (the
   periodic recount) timed, then `GET /api/email/campaigns/{id}/report` through the real
   ASGI app (authentication, tenant scoping and row-level security, no network),
   `--requests` times after ten warm-up requests (`bench.email.report.report_latency`).

The report is written to bench/results/email-pipeline-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from typing import Any

import psycopg

from bench.email.report import report_latency
from bench.email.sqltime import StatementTimes
from bench.harness import RESULTS, fresh_postgres, write_report
from bench.leads.list import make_organization, settings_for
from rastro.core.db import Databases, Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.units import TransactionBoundary
from rastro.crm.sealed import sealed
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.service import aggregates, campaigns, generation, sending
from rastro.modules import load_modules
from rastro.runtime import make_databases, upgrade_all

DATA = RESULTS / "email-data"

CONTACTS = """
INSERT INTO contacts (contact_id, organization_id, created_at, updated_at)
SELECT gen_random_uuid(), %(org)s, now(), now()
FROM generate_series(1, %(n)s) AS g;

INSERT INTO email_contacts (contact_id, organization_id, status, attributes)
SELECT contact_id, %(org)s,
       CASE WHEN r < 96 THEN 'active' WHEN r = 96 THEN 'bounced' WHEN r = 97 THEN 'complained'
            WHEN r = 98 THEN 'unconfirmed' ELSE 'unsubscribed' END,
       jsonb_build_object('cidade', 'São Paulo')
FROM (SELECT contact_id, (abs(hashtext(contact_id::text)) % 100) AS r
      FROM contacts WHERE organization_id = %(org)s) c;

INSERT INTO email_suppressions (suppression_id, organization_id, contact_id, reason)
SELECT gen_random_uuid(), %(org)s, contact_id, 'manual'
FROM email_contacts
WHERE organization_id = %(org)s AND status = 'active'
  AND abs(hashtext(contact_id::text || 's')) % 200 = 0;

INSERT INTO email_audiences (audience_id, organization_id, name, kind)
VALUES (%(audience)s, %(org)s, 'Todos', 'static');

INSERT INTO email_audience_contacts (audience_id, contact_id, organization_id)
SELECT %(audience)s, contact_id, %(org)s FROM email_contacts WHERE organization_id = %(org)s;

INSERT INTO email_campaigns (campaign_id, organization_id, name, subject, from_name,
                             from_address, html, text, status, exclusions)
VALUES (%(campaign)s, %(org)s, 'Black Friday', 'Oferta para {{ name }}', 'Loja',
        'news@loja.com.br',
        '<p>Olá {{ name }} de {{ cidade }},</p>'
        || '<p><a href="https://loja.com.br/oferta">Ver a oferta</a> · '
        || '<a href="https://loja.com.br/catalogo?x=1">Catálogo</a> · '
        || '<a href="https://loja.com.br/contato">Fale conosco</a></p>',
        'Olá {{ name }}, veja a oferta: https://loja.com.br/oferta', 'draft', '{}');

INSERT INTO email_campaign_audiences (campaign_id, audience_id, organization_id)
VALUES (%(campaign)s, %(audience)s, %(org)s)
"""

# Events up to the target: every message gets `per` more (opens, clicks over the three
# links, a few bounces / complaints / unsubscribes), spread over 14 days.
EVENTS = """
INSERT INTO email_message_events (event_id, organization_id, campaign_id, message_id,
    contact_id, link_id, type, subtype, is_machine, source, occurred_at, recorded_at)
SELECT gen_random_uuid(), %(org)s, %(campaign)s, m.message_id, m.contact_id,
       CASE WHEN k.kind = 'click' THEN (%(links)s::int[])[1 + (m.n + k.i) % 3] END,
       k.kind,
       CASE WHEN k.kind = 'bounce' THEN (CASE WHEN m.n % 2 = 0 THEN 'hard' ELSE 'soft' END)
            WHEN k.kind = 'open' AND (m.n + k.i) % 10 < 3 THEN 'apple_mpp' END,
       k.kind = 'open' AND (m.n + k.i) % 10 < 3,
       'tracker',
       now() - interval '14 days' + ((m.n + k.i * 7919) % 1209600) * interval '1 second',
       now()
FROM bench_messages m
CROSS JOIN LATERAL (
    SELECT i, CASE WHEN (m.n + i) % 100 = 99 AND i = 0 THEN 'bounce'
                   WHEN (m.n + i) % 500 = 7 THEN 'complaint'
                   WHEN (m.n + i) % 300 = 11 THEN 'unsubscribe'
                   WHEN i %% 3 = 2 THEN 'click' ELSE 'open' END AS kind
    FROM generate_series(0, %(per)s - 1) AS i
) k
WHERE m.n < %(messages)s
"""


def _sql(statement: str) -> bytes:
    # `%` is SQL's modulo here; psycopg wants it doubled beside its %(name)s placeholders.
    import re

    return re.sub(r"%(?!\()", "%%", statement.replace("%%", "%")).encode()


def load_contacts(server: EmbeddedPostgres, params: dict[str, Any]) -> None:
    with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
        for statement in CONTACTS.split(";\n\n"):
            conn.execute(_sql(statement), params)
        conn.execute(
            "VACUUM ANALYZE contacts, email_contacts, email_audience_contacts, email_suppressions"
        )


def seal_addresses(server: EmbeddedPostgres, org: uuid.UUID) -> None:
    """Give every contact an address and a name, sealed as the application stores them
    (personal data is encrypted at rest: SQL cannot write it; the sending reads it)."""
    with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT contact_id FROM contacts WHERE organization_id = %s ORDER BY contact_id",
                (org,),
            )
        ]
        conn.execute(
            "CREATE UNLOGGED TABLE bench_addresses (contact_id uuid, email text, name text)"
        )
        with conn.cursor().copy("COPY bench_addresses FROM STDIN") as copy:
            for n, contact_id in enumerate(ids):
                copy.write_row(
                    (
                        contact_id,
                        sealed("contacts", "email", f"pessoa{n}@exemplo{n % 997}.com.br"),
                        sealed("contacts", "name", f"Pessoa {n}"),
                    )
                )
        conn.execute(
            "UPDATE contacts c SET email_encrypted = a.email, name_encrypted = a.name"
            " FROM bench_addresses a WHERE a.contact_id = c.contact_id"
        )
        conn.execute("DROP TABLE bench_addresses")
        conn.execute("VACUUM ANALYZE contacts")


async def generate(databases: Databases, scope: Scope, campaign_id: uuid.UUID, batch: int) -> int:
    async with databases.crm.transaction(scope) as crm:
        await sending.start_sending(crm, campaign_id=campaign_id)
    batches, more = 0, True
    while more:
        async with databases.crm.transaction(scope) as crm:
            more = await generation.generate_batch(crm, campaign_id=campaign_id, batch_size=batch)
        batches += 1
    return batches


async def send(
    databases: Databases,
    scope: Scope,
    campaign_id: uuid.UUID,
    *,
    batch: int,
    seconds: float,
) -> tuple[int, bool]:
    """Batches sent, and whether the campaign finished within `seconds`."""
    links = sending.Links(base_url="https://rastro.bench.example", secret="bench-secret-" * 4)
    crm, bi = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    sender = SimulatedSender(keep=False)
    batches, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        more = await sending.send_batch(
            crm, bi, scope, campaign_id=campaign_id, sender=sender, links=links, batch_size=batch
        )
        batches += 1
        if not more:
            return batches, True
    return batches, False


def top_up_events(server: EmbeddedPostgres, params: dict[str, Any], target: int) -> int:
    """Copy the messages' ids to BI and add events until about `target`; returns the count."""
    with (
        psycopg.connect(server.superuser_conninfo("rastro_crm")) as crm,
        psycopg.connect(server.superuser_conninfo("rastro_bi"), autocommit=True) as bi,
    ):
        bi.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_messages "
            "(n int, message_id uuid, contact_id uuid)"
        )
        bi.execute("TRUNCATE bench_messages")
        with (
            crm.cursor().copy(
                "COPY (SELECT (row_number() OVER (ORDER BY message_id)) - 1, message_id,"
                " contact_id FROM email_messages WHERE campaign_id = %s) TO STDOUT",
                (params["campaign"],),
            ) as out,
            bi.cursor().copy("COPY bench_messages FROM STDIN") as into,
        ):
            for chunk in out:
                into.write(chunk)
        messages = bi.execute("SELECT count(*) FROM bench_messages").fetchone()[0]  # type: ignore[index]
        links = [
            row[0]
            for row in crm.execute(
                "SELECT link_id FROM email_links WHERE campaign_id = %s ORDER BY position",
                (params["campaign"],),
            )
        ]
        have = bi.execute("SELECT count(*) FROM email_message_events").fetchone()[0]  # type: ignore[index]
        missing = max(0, target - have)
        per = max(1, -(-missing // max(1, messages)))
        rows = min(messages, -(-missing // per))
        if missing:
            bi.execute(
                _sql(EVENTS),
                {**params, "links": links, "per": per, "messages": rows},
            )
        bi.execute("DROP TABLE bench_messages")
        bi.execute("VACUUM ANALYZE email_message_events")
        return bi.execute("SELECT count(*) FROM email_message_events").fetchone()[0]  # type: ignore[index,no-any-return]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    # One data directory per size: a smaller run never stops a larger one under way.
    data = DATA.with_name(f"{DATA.name}-{args.contacts}")
    server = fresh_postgres(data)
    report: dict[str, Any] = {"contacts": args.contacts, "load_avg_start": os.getloadavg()}
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        settings = settings_for(server)
        upgrade_all(settings)
        databases = make_databases(settings)
        org = await make_organization(databases, "bench", owners=0)
        times = StatementTimes(databases.crm.engine, databases.bi.engine)
        scope = Scope.organization(org["id"])
        campaign_id, audience_id = uuid.uuid4(), uuid.uuid4()
        params = {
            "org": org["id"],
            "n": args.contacts,
            "audience": audience_id,
            "campaign": campaign_id,
        }
        started = time.perf_counter()
        load_contacts(server, params)
        seal_addresses(server, org["id"])
        report["load_contacts_s"] = round(time.perf_counter() - started, 1)
        print(f"loaded {args.contacts} contacts in {report['load_contacts_s']} s", flush=True)

        report["load_avg_before_generation"] = os.getloadavg()
        started = time.perf_counter()
        batches = await generate(databases, scope, campaign_id, args.gen_batch)
        seconds = time.perf_counter() - started
        async with databases.crm.transaction(scope) as crm:
            campaign = await campaigns.get_campaign(crm, campaign_id=campaign_id)
            generated, exclusions = campaign.generated, dict(campaign.exclusions)
        report["generation"] = {
            "batch_size": args.gen_batch,
            "batches": batches,
            "seconds": round(seconds, 1),
            "messages": generated,
            "exclusions": exclusions,
            "messages_per_s": round(generated / seconds),
            "load_avg_after": os.getloadavg(),
            "statements": times.top(),
        }
        print("generation", report["generation"], flush=True)

        report["load_avg_before_sending"] = os.getloadavg()
        started = time.perf_counter()
        batches, finished = await send(
            databases, scope, campaign_id, batch=args.send_batch, seconds=args.send_seconds
        )
        seconds = time.perf_counter() - started
        with psycopg.connect(server.superuser_conninfo("rastro_crm")) as conn:
            sent = conn.execute(
                "SELECT count(*) FROM email_messages WHERE status = 'sent'"
            ).fetchone()[0]  # type: ignore[index]
        with psycopg.connect(server.superuser_conninfo("rastro_bi")) as conn:
            events = conn.execute("SELECT count(*) FROM email_message_events").fetchone()[0]  # type: ignore[index]
        report["sending"] = {
            "batch_size": args.send_batch,
            "batches": batches,
            "finished": finished,
            "seconds": round(seconds, 1),
            "messages_sent": sent,
            "events": events,
            "messages_per_s": round(sent / seconds),
            "load_avg_after": os.getloadavg(),
            "statements": times.top(),
        }
        print("sending", report["sending"], flush=True)

        if args.events:
            started = time.perf_counter()
            total = top_up_events(server, params, args.events)
            report["events_loaded"] = {
                "total": total,
                "seconds": round(time.perf_counter() - started, 1),
            }
            print("events", report["events_loaded"], flush=True)
            started = time.perf_counter()
            async with databases.bi.transaction(scope) as bi:
                await aggregates.refresh_daily(bi, campaign_id=campaign_id)
            report["refresh_daily_s"] = round(time.perf_counter() - started, 2)
            report["load_avg_before_report"] = os.getloadavg()
            times.top()  # forget what loading the events ran
            report["report"] = await report_latency(
                settings, databases, org["email"], campaign_id, args.requests
            )
            report["report"]["statements"] = times.top()
            print("report", report["report"], flush=True)
        await databases.dispose()
        report["load_avg_end"] = os.getloadavg()
        return report
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--gen-batch", type=int, default=generation.BATCH_SIZE)
    parser.add_argument("--send-batch", type=int, default=sending.SEND_BATCH)
    parser.add_argument("--send-seconds", type=float, default=600)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    load_modules()
    write_report("email-pipeline", asyncio.run(run(args)))


if __name__ == "__main__":
    main()
