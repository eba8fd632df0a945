"""Message generation for a large audience, A/B in one run: today's one-statement batches
(`now`) against the implementation of another commit (`before`, loaded from git), and
what each part of the message insert costs.

    .venv/bin/python -m bench.email.generation [--contacts 200000] [--batch 20000]
        [--before-ref 2ff1b6d] [--before-batch 5000] [--variants before,now] [--explain]

Starts a fresh embedded PostgreSQL under bench/results/email-generation-<contacts>, makes
one organization with `--contacts` recipients on one static audience (the pipeline
benchmark's rows, `bench.email.pipeline.CONTACTS`, loaded with triggers off: 96 % active,
1 % each bounced, complained, unconfirmed and unsubscribed, 0.5 % of the active ones on
the suppression list), then, for each variant in turn, its own campaign to that audience
generated from `start_generation` to done, one transaction per batch (what the job
runs). Per variant: wall seconds, messages per second, the CPU seconds of this process and
of PostgreSQL's processes; both variants must give the same messages and exclusions.

`--explain`: EXPLAIN (ANALYZE, BUFFERS) of one batch statement of a fresh campaign, in a
transaction rolled back each time, as it is, without the insert's foreign keys, without
the message table's secondary indexes and without forced row-level security (each
removed inside the rolled-back transaction): what each costs the insert.

The report is written to bench/results/email-generation-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
import types
import uuid
from typing import Any

import psycopg
from sqlalchemy import text

from bench.analytics.statements import postgres_cpu
from bench.email.pipeline import CONTACTS, _sql
from bench.harness import RESULTS, ROOT, fresh_postgres, write_report
from bench.leads.list import make_organization, settings_for
from rastro.core.db import Databases, Scope
from rastro.core.embedded import EmbeddedPostgres
from rastro.email.service import generation
from rastro.modules import load_modules
from rastro.runtime import make_databases, upgrade_all

DATA = RESULTS / "email-generation"
MODULE = "src/rastro/email/service/generation.py"


def module_at(ref: str) -> types.ModuleType:
    """The generation module as it was at `ref` (its imports are today's)."""
    source = subprocess.run(
        ["git", "show", f"{ref}:{MODULE}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    module = types.ModuleType(f"bench_generation_{ref}")
    module.__file__ = f"{ref}:{MODULE}"
    sys.modules[module.__name__] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def load_contacts(server: EmbeddedPostgres, params: dict[str, Any]) -> None:
    """The pipeline benchmark's contacts (`bench.email.pipeline.CONTACTS`), loaded with
    triggers off (`session_replication_role = replica`, as a superuser): the CRM's
    search-term trigger on `contacts`, which generation never reads, took most of a
    1,000,000-contact load; the rows are consistent by construction."""
    with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        for statement in CONTACTS.split(";\n\n"):
            conn.execute(_sql(statement), params)
        conn.execute(
            "VACUUM ANALYZE contacts, email_contacts, email_audience_contacts, email_suppressions"
        )


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def new_campaign(databases: Databases, scope: Scope, template: uuid.UUID) -> uuid.UUID:
    """A copy of the loaded campaign (same HTML and audience), not generated yet."""
    campaign_id = uuid.uuid4()
    async with databases.crm.transaction(scope) as crm:
        await crm.execute(
            text(
                "INSERT INTO email_campaigns (campaign_id, organization_id, name, subject,"
                " from_name, from_address, html, text, status, exclusions)"
                " SELECT :new, organization_id, name || ' ' || :new, subject, from_name,"
                " from_address, html, text, 'draft', '{}' FROM email_campaigns"
                " WHERE campaign_id = :old"
            ),
            {"new": campaign_id, "old": template},
        )
        await crm.execute(
            text(
                "INSERT INTO email_campaign_audiences (campaign_id, audience_id, organization_id)"
                " SELECT :new, audience_id, organization_id FROM email_campaign_audiences"
                " WHERE campaign_id = :old"
            ),
            {"new": campaign_id, "old": template},
        )
        await generation.start_generation(crm, campaign_id=campaign_id)
    return campaign_id


async def generate(
    databases: Databases, scope: Scope, module: Any, campaign_id: uuid.UUID, batch: int
) -> int:
    batches, more = 0, True
    while more:
        async with databases.crm.transaction(scope) as crm:
            more = await module.generate_batch(crm, campaign_id=campaign_id, batch_size=batch)
        batches += 1
    return batches


async def outcome(databases: Databases, scope: Scope, campaign_id: uuid.UUID) -> dict[str, Any]:
    async with databases.crm.transaction(scope) as crm:
        generated, exclusions = (
            await crm.execute(
                text("SELECT generated, exclusions FROM email_campaigns WHERE campaign_id = :c"),
                {"c": campaign_id},
            )
        ).one()
        stored = await crm.scalar(
            text("SELECT count(*) FROM email_messages WHERE campaign_id = :c"), {"c": campaign_id}
        )
    return {"generated": generated, "messages": stored, "exclusions": exclusions}


EXPLAIN_VARIANTS = {
    "as_is": [],
    "without_foreign_keys": [
        f"ALTER TABLE email_messages DROP CONSTRAINT fk_email_messages_{name}"
        for name in (
            "organization_id_organizations",
            "campaign_id_email_campaigns",
            "contact_id_email_contacts",
        )
    ],
    "without_secondary_indexes": [
        "DROP INDEX ix_email_messages_campaign_id_status",
        "DROP INDEX ix_email_messages_contact_id",
    ],
    "without_forced_rls": ["ALTER TABLE email_messages NO FORCE ROW LEVEL SECURITY"],
}


async def explain(
    databases: Databases, scope: Scope, template: uuid.UUID, batch: int
) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of a fresh campaign's first batch, as it is and without
    each part of what its insert pays, every time in a transaction rolled back."""
    campaign_id = await new_campaign(databases, scope, template)
    out: dict[str, Any] = {}
    for name, changes in EXPLAIN_VARIANTS.items():
        session = databases.crm.session(scope)
        try:
            campaign = await generation.get_campaign(session, campaign_id=campaign_id)
            targets = await generation._audiences(session, campaign_id)
            connection = await session.connection()
            for change in changes:
                await connection.exec_driver_sql(change)
            compiled = generation._statement(campaign, targets, batch).compile(
                dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
            )
            rows = await connection.exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS) {compiled.string}", compiled.params
            )
            plan = [row[0] for row in rows]
            out[name] = {
                "execution_ms": next(
                    float(line.split()[2]) for line in plan if line.startswith("Execution Time")
                ),
                "triggers": [line for line in plan if line.startswith("Trigger")],
                "plan": plan if name == "as_is" else None,
            }
            print(name, out[name]["execution_ms"], out[name]["triggers"], flush=True)
        finally:
            await session.rollback()
            await session.close()
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data = DATA.with_name(f"{DATA.name}-{args.contacts}")
    server = fresh_postgres(data)
    report: dict[str, Any] = {"contacts": args.contacts, "load_avg_start": os.getloadavg()}
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        settings = settings_for(server)
        upgrade_all(settings)
        databases = make_databases(settings)
        postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
        org = await make_organization(databases, "bench", owners=0)
        scope = Scope.organization(org["id"])
        template, audience = uuid.uuid4(), uuid.uuid4()
        params = {"org": org["id"], "n": args.contacts, "audience": audience, "campaign": template}
        started = time.perf_counter()
        load_contacts(server, params)
        report["load_contacts_s"] = round(time.perf_counter() - started, 1)
        print(f"loaded {args.contacts} contacts in {report['load_contacts_s']} s", flush=True)
        if args.explain:
            report["explain"] = await explain(databases, scope, template, args.batch)
        modules = {"now": (generation, args.batch)}
        if "before" in args.variants:
            modules["before"] = (module_at(args.before_ref), args.before_batch)
            report["before_ref"] = args.before_ref
        for variant in args.variants:
            module, batch = modules[variant]
            campaign_id = await new_campaign(databases, scope, template)
            load = os.getloadavg()
            cpu, pg, wall = own_cpu(), postgres_cpu(postmaster), time.perf_counter()
            batches = await generate(databases, scope, module, campaign_id, batch)
            wall = time.perf_counter() - wall
            cpu, pg = own_cpu() - cpu, postgres_cpu(postmaster) - pg
            result = await outcome(databases, scope, campaign_id)
            report[variant] = {
                "batch_size": batch,
                "batches": batches,
                "seconds": round(wall, 1),
                "messages_per_s": round(result["generated"] / wall),
                "python_cpu_s": round(cpu, 1),
                "postgres_cpu_s": round(pg, 1),
                "load_avg_before": load,
                "load_avg_after": os.getloadavg(),
                **result,
            }
            print(variant, report[variant], flush=True)
        found = [report[v] for v in args.variants]
        report["same_outcome"] = all(
            (f["generated"], f["messages"], f["exclusions"])
            == (found[0]["generated"], found[0]["messages"], found[0]["exclusions"])
            for f in found
        )
        await databases.dispose()
        report["load_avg_end"] = os.getloadavg()
        return report
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=generation.BATCH_SIZE)
    parser.add_argument("--before-ref", default="2ff1b6d")
    parser.add_argument("--before-batch", type=int, default=5000)
    parser.add_argument(
        "--variants", type=lambda v: v.split(","), default=["before", "now"], help="in this order"
    )
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    load_modules()
    write_report("email-generation", asyncio.run(run(args)))


if __name__ == "__main__":
    main()
