"""Simulated sending of a campaign's queued messages, with their events: the code under
test against the `before` commit's, and one or several sending processes.

    .venv/bin/python -m bench.email.send [--contacts 300000] [--variants before,generic,now]
        [--senders 1,2] [--rounds 2] [--seconds 60] [--batch 200] [--before 2ff1b6d]
    .venv/bin/python -m bench.email.send --contacts 1000000 --full --senders 2

Starts a fresh embedded PostgreSQL under bench/results/email-send-<contacts>, migrates it
and stores, without the generation (its own benchmark: `bench.email.pipeline`), what a
generated campaign leaves: `--contacts` CRM contacts with their address and name sealed as
the application stores them (COPY, sealed in Python), each an active e-mail recipient;
one campaign `sending` whose HTML has three links, and a queued message (uuid7 ids, as
generation makes them) for every contact but the 0.5 % on the suppression list; 0.2 % of
the messaged contacts are suppressed after generation (the sending refuses them).

Each run resets the messages to `queued` (and empties the BI events), starts `--senders`
processes (`bench/email/send_worker.py`) that each run the `send_campaign` job's loop
(`sending.send_batch`, simulated sender, `--batch`) for `--seconds` or until nothing is
left, and measures messages sent per second, CPU of the sending processes and of this
PostgreSQL's processes per message, and checks the rows: one `sent` and one `delivered`
event per sent message, a `refused` one per refused message, no message sent twice.
Variants: `before` (the `--before` commit's `src`, taken with `git archive`), `git:<ref>`
(any commit's), `generic` (this tree, every message rendered on the per-message path),
`now` (this tree). Rounds
alternate the variants (A/B in one run). `--full` runs `now` once, until every message is
sent (the issue's target: 1,000,000 in ≤ 5 minutes).

The report is written to bench/results/email-send-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from io import BytesIO
from pathlib import Path
from typing import Any

import orjson
import psycopg

from bench.email.click_cpu import postgres_cpu
from bench.harness import RESULTS, ROOT, fresh_postgres, write_report
from bench.leads.list import make_organization, settings_for
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.ids import uuid7
from rastro.crm.sealed import sealed
from rastro.modules import load_modules
from rastro.runtime import make_databases, upgrade_all

DATA = RESULTS / "email-send"
HTML = (
    "<html><body><p>Olá {{ first_name }}, de {{ attributes.cidade }}:</p>"
    '<p><a href="https://loja.com.br/oferta">Ver a oferta</a> · '
    '<a href="https://loja.com.br/catalogo?x=1&amp;y=2">Catálogo</a> · '
    '<a href="https://loja.com.br/contato">Fale conosco</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Sair da lista</a></p></body></html>'
)
TEXT = "Olá {{ name }}, veja a oferta: https://loja.com.br/oferta\nSair: {{ unsubscribe_url }}"
LINKS = (
    "https://loja.com.br/oferta",
    "https://loja.com.br/catalogo?x=1&y=2",
    "https://loja.com.br/contato",
)


def seed(server: EmbeddedPostgres, org: uuid.UUID, contacts: int) -> dict[str, Any]:
    """The contacts, recipients, suppressions, campaign, links and queued messages."""
    campaign = uuid7()
    with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # no search-term triggers
        ids = [uuid7() for _ in range(contacts)]
        with conn.cursor().copy(
            "COPY contacts (contact_id, organization_id, email_encrypted, name_encrypted,"
            " created_at, updated_at) FROM STDIN"
        ) as copy:
            for n, contact_id in enumerate(ids):
                copy.write_row(
                    (
                        contact_id,
                        org,
                        sealed("contacts", "email", f"pessoa{n}@exemplo{n % 997}.com.br"),
                        sealed("contacts", "name", f"Pessoa {n} Silva"),
                        "now",
                        "now",
                    )
                )
        attributes = orjson.dumps({"cidade": "São Paulo"}).decode()
        with conn.cursor().copy(
            "COPY email_contacts (contact_id, organization_id, status, attributes) FROM STDIN"
        ) as copy:
            for contact_id in ids:
                copy.write_row((contact_id, org, "active", attributes))
        excluded = ids[::200]  # on the suppression list before generation: no message
        later = ids[1::500]  # suppressed after generation: refused when sent
        with conn.cursor().copy(
            "COPY email_suppressions (suppression_id, organization_id, contact_id, reason)"
            " FROM STDIN"
        ) as copy:
            for contact_id in excluded + later:
                copy.write_row((uuid7(), org, contact_id, "manual"))
        skip = set(excluded)
        messaged = [contact_id for contact_id in ids if contact_id not in skip]
        conn.execute(
            "INSERT INTO email_campaigns (campaign_id, organization_id, name, subject,"
            " from_name, from_address, html, text, status, generation_status, generated,"
            " exclusions) VALUES (%s, %s, 'Black Friday', 'Oferta para {{ first_name }}',"
            " 'Loja', 'news@loja.com.br', %s, %s, 'sending', 'done', %s, '{}')",
            (campaign, org, HTML, TEXT, len(messaged)),
        )
        for position, url in enumerate(LINKS):
            conn.execute(
                "INSERT INTO email_links (organization_id, campaign_id, url, position)"
                " VALUES (%s, %s, %s, %s)",
                (org, campaign, url, position),
            )
        with conn.cursor().copy(
            "COPY email_messages (message_id, organization_id, campaign_id, contact_id, status)"
            " FROM STDIN"
        ) as copy:
            for contact_id in messaged:
                copy.write_row((uuid7(), org, campaign, contact_id, "queued"))
        conn.execute("VACUUM ANALYZE contacts, email_contacts, email_suppressions, email_messages")
    return {"campaign": campaign, "messages": len(messaged), "refused": len(later)}


def reset(server: EmbeddedPostgres, campaign: uuid.UUID) -> None:
    """Every message queued again, the campaign sending, no events."""
    with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
        conn.execute(
            "UPDATE email_messages SET status = 'queued', attempts = 0, sending_since = NULL,"
            " sent_at = NULL, provider_message_id = NULL, error = NULL, retry_at = NULL"
            " WHERE campaign_id = %s AND status <> 'queued'",
            (campaign,),
        )
        conn.execute(
            "UPDATE email_campaigns SET status = 'sending' WHERE campaign_id = %s", (campaign,)
        )
        conn.execute("DELETE FROM procrastinate_jobs")
        conn.execute("VACUUM ANALYZE email_messages")
    with psycopg.connect(server.superuser_conninfo("rastro_bi"), autocommit=True) as conn:
        conn.execute("TRUNCATE email_message_events")


def check(server: EmbeddedPostgres, campaign: uuid.UUID) -> dict[str, int]:
    """What the run left: messages by status, events by type, and duplicates (must be 0)."""
    with psycopg.connect(server.superuser_conninfo("rastro_crm")) as conn:
        statuses = dict(
            conn.execute(  # type: ignore[arg-type]
                "SELECT coalesce(error, status), count(*) FROM email_messages"
                " WHERE campaign_id = %s AND status <> 'queued' GROUP BY 1",
                (campaign,),
            ).fetchall()
        )
    with psycopg.connect(server.superuser_conninfo("rastro_bi")) as conn:
        events = dict(
            conn.execute(  # type: ignore[arg-type]
                "SELECT type, count(*) FROM email_message_events GROUP BY type"
            ).fetchall()
        )
        twice = conn.execute(
            "SELECT count(*) - count(DISTINCT (message_id, type)) FROM email_message_events"
        ).fetchone()[0]  # type: ignore[index]
    sent = statuses.get("sent", 0)
    problems = []
    if events.get("sent", 0) != sent or events.get("delivered", 0) != sent:
        problems.append("sent/delivered events differ from sent messages")
    if events.get("refused", 0) != statuses.get("refused", 0):
        problems.append("refused events differ from refused messages")
    if twice or statuses.get("sending", 0) or statuses.get("interrupted", 0):
        problems.append("a message sent twice or left sending")
    return {"messages": statuses, "events": events, "duplicates": twice, "problems": problems}


def source_tree(ref: str) -> Path:
    """The `src` of a commit, extracted once under bench/results/email-send-src-<ref>."""
    target = RESULTS / f"email-send-src-{ref}"
    if not (target / "rastro").exists():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True
        ).stdout
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
        for entry in (target / "src").iterdir():
            entry.rename(target / entry.name)
    return target


def run_variant(
    variant: str,
    senders: int,
    *,
    env: dict[str, str],
    data: Path,
    args: argparse.Namespace,
    org: uuid.UUID,
    campaign: uuid.UUID,
    seconds: float,
) -> dict[str, Any]:
    if variant == "before":
        src = source_tree(args.before)
    elif variant.startswith("git:"):  # any commit's code, e.g. one lever at a time
        src = source_tree(variant.removeprefix("git:"))
    else:
        src = ROOT / "src"
    command = [
        sys.executable, "-m", "bench.email.send_worker", "--org", str(org),
        "--campaign", str(campaign), "--batch", str(args.batch), "--seconds", str(seconds),
    ]  # fmt: skip
    if variant == "generic":
        command.append("--generic")
    if args.profile:
        command.append("--profile")
    worker_env = {**env, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}"}
    workers = [
        subprocess.Popen(
            command,
            env=worker_env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(senders)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    load, pg, wall = os.getloadavg(), postgres_cpu(data), time.perf_counter()
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, _ = worker.communicate()
        results.append(json.loads(out.strip().splitlines()[-1]))
    pg = postgres_cpu(data) - pg
    wall = max(r["wall_s"] for r in results)  # the sending loops' own time
    mails = sum(r["mails"] for r in results)
    python_cpu = sum(r["cpu_s"] for r in results)
    return {
        "variant": variant,
        "senders": senders,
        "batch": args.batch,
        "mails": mails,
        "seconds": round(wall, 1),
        "finished": any(r["finished"] for r in results),
        "messages_per_s": round(mails / wall),
        "python_cpu_ms_per_message": round(1000 * python_cpu / max(1, mails), 3),
        "postgres_cpu_ms_per_message": round(1000 * pg / max(1, mails), 3),
        "cpu_ms_per_message": round(1000 * (python_cpu + pg) / max(1, mails), 3),
        "load_avg": [round(x, 1) for x in load],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=300_000)
    parser.add_argument("--variants", default="before,generic,now")
    parser.add_argument("--senders", default="1,2")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--before", default="2ff1b6d")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile each sender (stderr)")
    args = parser.parse_args()
    senders = [int(s) for s in args.senders.split(",")]
    load_modules()

    data = DATA.with_name(f"{DATA.name}-{args.contacts}")
    server = fresh_postgres(data)
    report: dict[str, Any] = {"contacts": args.contacts, "runs": []}
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        settings = settings_for(server)  # a fresh key ring, handed to the workers
        env = {
            **os.environ,
            "RASTRO_ENV": "development",
            "LOG_LEVEL": "WARNING",
            "CRM_DATABASE_URL": settings.crm_database_url or "",
            "BI_DATABASE_URL": settings.bi_database_url or "",
            "SECRET_KEY": settings.secret_key_value,
            "ENCRYPTION_KEY": settings.encryption_key_value,
        }
        upgrade_all(settings)
        databases = make_databases(settings)  # configures the key ring the workers share
        org = asyncio.run(make_organization(databases, "bench", owners=0))["id"]
        started = time.perf_counter()
        seeded = seed(server, org, args.contacts)
        campaign = seeded.pop("campaign")
        report["seed"] = {**seeded, "seconds": round(time.perf_counter() - started, 1)}
        print("seeded", report["seed"], flush=True)
        plan = (
            [("now", senders[0])]
            if args.full
            else [
                (variant, count)
                for _ in range(args.rounds)
                for variant in args.variants.split(",")
                for count in (senders if variant == "now" else [1])
            ]
        )
        for variant, count in plan:
            reset(server, campaign)
            run = run_variant(
                variant,
                count,
                env=env,
                data=data,
                args=args,
                org=org,
                campaign=campaign,
                seconds=1e9 if args.full else args.seconds,
            )
            run["check"] = check(server, campaign)
            print(json.dumps(run), flush=True)
            report["runs"].append(run)
        report["load_avg_end"] = os.getloadavg()
    finally:
        server.stop()
    write_report("email-send", report)


if __name__ == "__main__":
    main()
