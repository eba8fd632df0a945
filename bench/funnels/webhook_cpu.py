"""CPU per gateway webhook (issue 19): the lean webhook route (now) against the route it
replaced (before) and the floor of any webhook (`webhook_floor`: the move and its live
event in one statement, nothing else), in one process and one run, `/healthz` as the
floor of the client and the routing.

    .venv/bin/python -m bench.funnels.webhook_cpu [--webhooks 1000] [--rounds 3] [--concurrency 8]

Starts a fresh embedded PostgreSQL under bench/results/funnels-webhook-cpu, migrates it,
makes one organization with an Asaas account (the tests' fake Asaas), a funnel with a
checkout step, one PIX charge made through `POST /api/payments/create`, and
`3 * (webhooks * rounds + 50)` copies of it in SQL (pending charges of the same funnel,
each its own Asaas id). The real application is served in process (httpx's ASGI
transport, no network; no job worker: the sales the webhooks make due are left due).
`floor` is `bench/funnels/webhook_floor.py`'s route, mounted under its path.
`before` is the implementation before branch `fun`, mounted for the run under
`/bench-before/webhook/{gateway}`: a `TransactionalRoute` with the request's CRM session,
the charges looked up and each payment loaded (ORM) under its organization's scope, then
`payments.apply_status` (the row refreshed under a lock, the ORM flush). Each round posts
`--webhooks` Asaas `PAYMENT_RECEIVED` webhooks of fresh charges through each variant (the
order rotates), `--concurrency` in flight, and measures this process's CPU (client and
server: the `/healthz` round is what the client and the routing cost alone) and the CPU of
this PostgreSQL's processes, per webhook. Every webhook must answer `applied`, and leave
its payment paid; `now` and `before` also one stored notification and its sale due (CRM
0046), which `floor` does not do.

The report is written to bench/results/funnels-webhook-cpu-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Route

from bench.email.click_cpu import own_cpu, per_request, postgres_cpu
from bench.funnels.webhook_floor import FLOOR_PATH, Floor
from bench.harness import RESULTS, fresh_postgres, write_report
from bench.leads.list import PASSWORD, make_organization, settings_for
from rastro.app import close_app, create_app
from rastro.auth.service import credentials
from rastro.core.db import SYSTEM, Scope, libpq_url, scoped
from rastro.core.deps import CrmSession
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.logging import configure_logging
from rastro.core.session import TransactionalRoute
from rastro.funnels.payments.gateways import GATEWAYS
from rastro.funnels.payments.gateways.base import SignedRequest
from rastro.funnels.payments.models import Payment, PaymentWebhook
from rastro.funnels.payments.service import payments
from rastro.runtime import make_databases, upgrade_all

ROOT = Path(__file__).resolve().parents[2]
DATA = RESULTS / "funnels-webhook-cpu"
ASAAS_KEY = "$aact_bench_asaas_api_key_000000000001"
ASAAS_TOKEN = "asaas-bench-webhook-token-000000000000001"
BUYER = {
    "name": "Maria Souza",
    "email": "maria.souza@example.com",
    "phone": "+5511987654321",
    "document": "529.982.247-25",
}


# --- before: the route this change replaced (kept here only to compare) ----------------------


async def _before_receive(session: AsyncSession, request: Request, body: bytes) -> list[str]:
    gateway = GATEWAYS["asaas"]
    signed = SignedRequest(
        method=request.method,
        url=str(request.url),
        headers=request.headers,
        query=request.query_params,
        body=body,
    )
    notifications = gateway.notifications(signed)
    async with scoped(session, SYSTEM):
        rows = await session.execute(
            select(Payment.external_id, Payment.id, Payment.organization_id).where(
                Payment.gateway == gateway.name,
                Payment.external_id.in_({n.external_id for n in notifications}),
            )
        )
        targets = {row.external_id: row.organization_id for row in rows}
    outcomes = []
    for notification in notifications:
        organization_id = targets[notification.external_id]
        async with scoped(session, Scope.organization(organization_id)):
            payment = await session.scalar(
                select(Payment).where(
                    Payment.gateway == gateway.name,
                    Payment.external_id == notification.external_id,
                )
            )
            assert payment is not None
            assert payment.credential_id is not None
            credential = await credentials.resolve_credential(
                session, request.app.state.keyring, payment.credential_id
            )
            gateway.verify(signed, credential)
            assert notification.status is not None
            verdict = await payments.apply_status(session, payment, notification.status)
            outcome = {"apply": "applied", "same": "same", "backwards": "backwards"}[verdict]
            await session.execute(
                insert(PaymentWebhook)
                .values(
                    organization_id=payment.organization_id,
                    payment_id=payment.id,
                    gateway=gateway.name,
                    external_id=notification.external_id,
                    event_id=notification.event_id,
                    status=notification.status,
                    outcome=outcome,
                )
                .on_conflict_do_nothing(index_elements=["gateway", "external_id", "status"])
            )
            outcomes.append(outcome)
    return outcomes


before_router = APIRouter(prefix="/bench-before", route_class=TransactionalRoute)


@before_router.post("/webhook/{gateway}")
async def before_webhook(request: Request, gateway: str, session: CrmSession) -> dict[str, Any]:
    body = await request.body()
    outcomes = await _before_receive(session, request, body)
    return {"gateway": gateway, "received": len(outcomes), "results": outcomes}


# --- measuring ---------------------------------------------------------------------------------


def _body(external_id: str, index: int) -> bytes:
    return orjson.dumps(
        {
            "id": f"evt_bench_{index}",
            "event": "PAYMENT_RECEIVED",
            "dateCreated": "2026-12-07 03:00:00",
            "payment": {
                "object": "payment",
                "id": external_id,
                "status": "RECEIVED",
                "value": 97.0,
                "billingType": "PIX",
            },
        }
    )


HEADERS = {"content-type": "application/json", "asaas-access-token": ASAAS_TOKEN}


async def measure(
    client: httpx.AsyncClient, requests: list[tuple[str, bytes | None]], concurrency: int
) -> dict[str, Any]:
    timings: list[float] = []
    pending = iter(requests)

    async def worker() -> None:
        for path, body in pending:
            start = time.perf_counter()
            if body is None:
                response = await client.get(path)
            else:
                response = await client.post(path, content=body, headers=HEADERS)
            timings.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
            if body is not None and b'"applied"' not in response.content:
                raise RuntimeError(f"{path}: not applied: {response.text[:300]}")

    cpu, pg, wall = own_cpu(), postgres_cpu(DATA), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu, pg = time.perf_counter() - wall, own_cpu() - cpu, postgres_cpu(DATA) - pg
    return per_request(len(requests), cpu, pg, wall, timings)


async def _setup(client: httpx.AsyncClient, email: str, asaas_url: str) -> str:
    """The Asaas account, the funnel and one charge; returns the charge's payment id."""
    login = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    api = {"Authorization": f"Bearer {login.json()['access_token']}"}
    made = await client.post(
        "/api/credentials",
        headers=api,
        json={
            "name": "asaas",
            "service": "asaas",
            "api_key": ASAAS_KEY,
            "api_secret": ASAAS_TOKEN,
            "api_url": asaas_url,
        },
    )
    assert made.status_code == 201, made.text
    funnel = (
        await client.post("/api/funnels", headers=api, json={"name": "B", "slug": "b"})
    ).json()
    added = await client.post(
        f"/api/funnels/{funnel['id']}/steps",
        headers=api,
        json={
            "name": "checkout",
            "slug": "checkout",
            "step_type": "checkout",
            "content": {"headline": "Finalize sua compra"},
        },
    )
    assert added.status_code == 201, added.text
    step = added.json()
    charge = await client.post(
        "/api/payments/create",
        headers=api,
        json={
            "amount": "97.00",
            "product_name": "Curso",
            "customer": BUYER,
            "funnel_id": funnel["id"],
            "step_id": step["id"],
        },
    )
    assert charge.status_code == 201, charge.text
    return str(charge.json()["id"])


CLONE = """
INSERT INTO payments (id, organization_id, funnel_id, step_id, gateway, credential_id,
    external_id, amount, currency, status, payment_method, product_name,
    customer_data_encrypted, customer_email_index, customer_phone_index, status_changed_at,
    expires_at)
SELECT gen_random_uuid(), organization_id, funnel_id, step_id, gateway, credential_id,
    'pay_bench_' || i, amount, currency, 'pending', payment_method, product_name,
    customer_data_encrypted, customer_email_index, customer_phone_index, now(),
    now() + interval '1 day'
FROM payments, generate_series(1, %(n)s) AS i WHERE id = %(template)s
"""


def stored(server: EmbeddedPostgres, ids: list[str]) -> dict[str, int]:
    with psycopg.connect(server.superuser_conninfo("rastro_crm")) as crm:
        paid = crm.execute(
            "SELECT count(*) FROM payments WHERE external_id = ANY(%s) AND status = 'paid'",
            (ids,),
        ).fetchone()[0]  # type: ignore[index]
        logged = crm.execute(
            "SELECT count(*) FROM payment_webhooks WHERE external_id = ANY(%s)", (ids,)
        ).fetchone()[0]  # type: ignore[index]
        due = crm.execute(
            "SELECT count(*) FROM payments WHERE external_id = ANY(%s)"
            " AND sale_status IS DISTINCT FROM status",
            (ids,),
        ).fetchone()[0]  # type: ignore[index]
    return {"webhooks": len(ids), "paid": paid, "stored": logged, "sales_due": due}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.asaas import FakeAsaas

    server = fresh_postgres(DATA)
    asaas = FakeAsaas(ASAAS_KEY, ASAAS_TOKEN).start()
    report: dict[str, Any] = {
        "webhooks_per_round": args.webhooks,
        "rounds": args.rounds,
        "concurrency": args.concurrency,
        "load_avg_start": os.getloadavg(),
    }
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        settings = settings_for(server)
        # As the servers log (LOG_LEVEL=WARNING): no line per request or webhook.
        configure_logging(settings.log_level, settings.effective_log_format)
        upgrade_all(settings)
        databases = make_databases(settings)
        org = await make_organization(databases, "bench", owners=0)
        app = create_app(settings, databases=databases, check_migrations=False)
        app.include_router(before_router)
        floor = Floor(libpq_url(settings.crm_database_url))
        app.router.routes.insert(0, Route(FLOOR_PATH, floor.receive, methods=["POST"]))
        variants = ("now", "before", "floor")
        path = {
            "now": "/api/payments/webhook/asaas",
            "before": "/bench-before/webhook/asaas",
            "floor": FLOOR_PATH,
        }
        given: dict[str, list[str]] = {v: [] for v in variants}
        rounds: list[dict[str, Any]] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            template = await _setup(client, org["email"], asaas.url)
            total = len(variants) * (args.webhooks * args.rounds + 50)
            with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as c:
                c.execute(CLONE, {"n": total, "template": template})
                c.execute("VACUUM ANALYZE payments")
            fresh = iter(range(1, total + 1))

            def posts(variant: str, n: int) -> list[tuple[str, bytes | None]]:
                chosen = [f"pay_bench_{next(fresh)}" for _ in range(n)]
                given[variant] += chosen
                return [(path[variant], _body(e, i)) for i, e in enumerate(chosen)]

            for variant in variants:  # warm-up: pools, statement caches
                await measure(client, posts(variant, 50), args.concurrency)
            if args.now_only:  # one round of `now` alone (for a sampling profiler: py-spy)
                report["now_only"] = await measure(
                    client, posts("now", args.webhooks), args.concurrency
                )
                print(report["now_only"], flush=True)
                return report
            if args.profile:  # where the Python time of the lean route goes
                import cProfile
                import pstats

                profile = cProfile.Profile()
                profile.enable()
                await measure(client, posts("now", args.webhooks), args.concurrency)
                profile.disable()
                stats = pstats.Stats(profile).sort_stats("tottime")
                stats.print_stats(40)
                stats.sort_stats("cumulative").print_stats(60)
                return report
            for number in range(args.rounds):
                order = variants[number % 3 :] + variants[: number % 3]
                row: dict[str, Any] = {"load_avg": os.getloadavg()[0]}
                row["healthz"] = await measure(
                    client, [("/healthz", None)] * args.webhooks, args.concurrency
                )
                for variant in order:
                    row[variant] = await measure(
                        client, posts(variant, args.webhooks), args.concurrency
                    )
                rounds.append(row)
                print(row, flush=True)
        await close_app(app)
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
        report["stored"] = {v: stored(server, given[v]) for v in variants}
        report["load_avg_end"] = os.getloadavg()
    finally:
        asaas.stop()
        server.stop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one round of `now` and stop"
    )
    parser.add_argument(
        "--now-only", action="store_true", help="one round of `now` and stop (for py-spy)"
    )
    args = parser.parse_args()
    report = asyncio.run(run(args))
    if args.profile or args.now_only:
        return
    for variant in ("healthz", "floor", "now", "before"):
        print(variant, report[variant])
    print("before / now (total CPU per webhook):", report["ratio_before_over_now_total_cpu"])
    print("stored:", report["stored"])
    write_report("funnels-webhook-cpu", report)


if __name__ == "__main__":
    main()
