"""CPU per recorded sale (issue 19): paid payments recorded by one job each (the version
before CRM 0046, whose task still runs the jobs queued before it) against the batch job
(`payments:record_sales`), in one process and one run.

    PYTHONPATH=$PWD/src .venv/bin/python -m bench.funnels.sale_cpu [--sales 300] [--rounds 3]

Starts a fresh embedded PostgreSQL under bench/results/funnels-sale-cpu (the set-up of
`webhook_cpu`: one organization, an Asaas account on the tests' fake Asaas, a funnel with
a checkout step and one PIX charge made through the API). Each round copies that charge
in SQL twice `--sales` times as paid payments with the same buyer (each its own Asaas id),
then records them both ways, the order alternating: `per_sale` — the copies marked
recorded (`sale_status`, so that the batch job does not see them) and one
`payments:record_sale` job queued per payment; `batch` — the copies due, one
`payments:record_sales` job. The queued jobs run in this process through procrastinate's
worker, as `rastro worker` runs them (`OUTBOX_GATHER_SECONDS=0`). Measured: this process's
CPU (procrastinate, the jobs) and this PostgreSQL's, per sale. Every sale must end with one
lead, one purchase conversion and one won deal. Written to
bench/results/funnels-sale-cpu-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from typing import Any

import httpx
import orjson
import psycopg

from bench.email.click_cpu import own_cpu, postgres_cpu
from bench.funnels.webhook_cpu import ASAAS_KEY, ASAAS_TOKEN, _setup
from bench.harness import RESULTS, fresh_postgres, write_report
from bench.leads.list import make_organization, settings_for
from rastro.app import close_app, create_app
from rastro.cli import build_job_app
from rastro.core.jobs import JobContext, set_job_context
from rastro.core.logging import configure_logging
from rastro.runtime import make_databases, upgrade_all

DATA = RESULTS / "funnels-sale-cpu"
ROOT = RESULTS.parents[1]

COPY = """
INSERT INTO payments (id, organization_id, funnel_id, step_id, gateway, credential_id,
    external_id, amount, currency, status, payment_method, product_name,
    customer_data_encrypted, customer_email_index, customer_phone_index, status_changed_at,
    paid_at, sale_status)
SELECT gen_random_uuid(), organization_id, funnel_id, step_id, gateway, credential_id,
    'pay_sale_' || %(prefix)s || '_' || i, amount, currency, 'paid', payment_method,
    product_name, customer_data_encrypted, customer_email_index, customer_phone_index, now(),
    now(), %(sale_status)s
FROM payments, generate_series(1, %(n)s) AS i WHERE id = %(template)s
RETURNING id::text, organization_id::text
"""

QUEUE_ONE = """
SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('payments', 'payments:record_sale', 0, NULL,
    NULL, jsonb_build_object('organization_id', CAST(%(org)s AS text),
                             'payment_id', CAST(%(id)s AS text)), NULL)
]::procrastinate_job_to_defer_v1[])
"""


def _copies(conninfo: str, template: str, prefix: str, n: int, *, due: bool) -> list[str]:
    """`n` paid copies of the charge; `due`: their sales due (the batch job's), else
    marked recorded and one per-sale job queued for each."""
    with psycopg.connect(conninfo) as crm:
        rows = crm.execute(
            COPY,
            {
                "prefix": prefix,
                "n": n,
                "template": template,
                "sale_status": None if due else "paid",
            },
        ).fetchall()
        # The copies' insert queued the batch job (CRM 0046's trigger): only `batch` keeps it.
        if not due:
            crm.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'payments:record_sales'")
            for payment_id, organization_id in rows:
                crm.execute(QUEUE_ONE, {"org": organization_id, "id": payment_id})
    return [row[0] for row in rows]


def _recorded(conninfo: str, ids: list[str]) -> dict[str, int]:
    with psycopg.connect(conninfo) as crm:
        row = crm.execute(
            "SELECT count(*) FILTER (WHERE p.conversion_id IS NOT NULL),"
            " count(DISTINCT c.conversion_id), count(DISTINCT d.deal_id),"
            " count(DISTINCT p.lead_id)"
            " FROM payments p"
            " LEFT JOIN offline_conversions c ON c.order_id = 'purchase-' || p.id"
            " LEFT JOIN deals d ON d.external_id = 'payment:' || p.id"
            " WHERE p.id = ANY(CAST(%s AS uuid[]))",
            (ids,),
        ).fetchone()
    assert row is not None
    return {
        "payments": len(ids),
        "converted": row[0],
        "conversions": row[1],
        "deals": row[2],
        "leads": row[3],
    }


async def _drain(app: Any) -> None:
    async with app.open_async():
        await app.run_worker_async(wait=False, install_signal_handlers=False)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.asaas import FakeAsaas

    server = fresh_postgres(DATA)
    asaas = FakeAsaas(ASAAS_KEY, ASAAS_TOKEN).start()
    report: dict[str, Any] = {
        "sales_per_round": args.sales,
        "rounds": args.rounds,
        "load_avg_start": os.getloadavg(),
    }
    conninfo = server.superuser_conninfo("rastro_crm")
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        settings = settings_for(server).model_copy(update={"outbox_gather_seconds": 0.0})
        # As the job worker logs (LOG_LEVEL=WARNING): no line per job or sale.
        configure_logging(settings.log_level, settings.effective_log_format)
        upgrade_all(settings)
        databases = make_databases(settings)
        org = await make_organization(databases, "bench", owners=0)
        app = create_app(settings, databases=databases, check_migrations=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            template = await _setup(client, org["email"], asaas.url)
        await close_app(app)
        jobs = build_job_app(settings)
        set_job_context(JobContext(databases=databases, settings=settings))
        variants = ("per_sale", "batch")
        rounds: list[dict[str, Any]] = []
        checks: dict[str, list[dict[str, int]]] = {v: [] for v in variants}
        # Warm-up: pools, statement caches, the first lead of the buyer's contact.
        for variant in variants:
            _copies(conninfo, template, f"w{variant}", 20, due=variant == "batch")
            await _drain(jobs)
        for number in range(args.rounds):
            order = variants[number % 2 :] + variants[: number % 2]
            row: dict[str, Any] = {"load_avg": os.getloadavg()[0]}
            for variant in order:
                ids = _copies(
                    conninfo, template, f"r{number}{variant}", args.sales, due=variant == "batch"
                )
                cpu, pg, wall = own_cpu(), postgres_cpu(DATA), time.perf_counter()
                await _drain(jobs)
                wall, cpu, pg = time.perf_counter() - wall, own_cpu() - cpu, postgres_cpu(DATA) - pg
                n = len(ids)
                row[variant] = {
                    "python_cpu_ms": round(1000 * cpu / n, 3),
                    "postgres_cpu_ms": round(1000 * pg / n, 3),
                    "total_cpu_ms": round(1000 * (cpu + pg) / n, 3),
                    "wall_ms": round(1000 * wall / n, 3),
                }
                checks[variant].append(_recorded(conninfo, ids))
            rounds.append(row)
            print(orjson.dumps(row).decode(), flush=True)
        set_job_context(None)
        await databases.dispose()
        report["rounds_detail"] = rounds
        for variant in variants:
            report[variant] = {
                key: round(statistics.median(r[variant][key] for r in rounds), 3)
                for key in ("python_cpu_ms", "postgres_cpu_ms", "total_cpu_ms", "wall_ms")
            }
        report["ratio_per_sale_over_batch_total_cpu"] = round(
            report["per_sale"]["total_cpu_ms"] / report["batch"]["total_cpu_ms"], 2
        )
        report["recorded"] = checks
        report["load_avg_end"] = os.getloadavg()
    finally:
        asaas.stop()
        server.stop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    report = asyncio.run(run(args))
    for variant in ("per_sale", "batch"):
        print(variant, report[variant])
    print("per sale / batch (total CPU per sale):", report["ratio_per_sale_over_batch_total_cpu"])
    write_report("funnels-sale-cpu", report)


if __name__ == "__main__":
    main()
