"""A gateway's webhook applied and broadcast to a watching client (issue 19's target: p99
≤ 50 ms at 200 webhooks/s), load generator and watcher included.

    PYTHONPATH=$PWD/src .venv/bin/python -m bench.funnels.webhook_broadcast \\
        [--rate 200] [--webhooks 3000] [--workers 2] [--floor]

* **Server**: `rastro serve --workers N` and `rastro worker` (the real deployment) on a
  fresh embedded PostgreSQL. With `--floor`, the same application served by uvicorn's
  factory with one more route (`bench/funnels/webhook_floor.py`: the payment moved and
  its event notified in one statement, nothing else), and a first phase of `--webhooks`
  posts to it before the phase of real webhooks: the floor of this stack, A/B in one run.
* **Data**: one funnel (capture → checkout with its offer), an Asaas account (the
  credential's webhook token is what Asaas sends in `asaas-access-token`), one PIX charge
  made through `POST /api/payments/create` against the fake Asaas of the tests
  (`tests/fakes/asaas.py`), and as many copies of it as the phases need, made in SQL
  (pending charges of the funnel's checkout with the same buyer, each its own Asaas id:
  Asaas's webhook carries the status, nothing is read back from the fake).
* **Watcher**: a socket.io client in a process of its own, signed in as the
  organization's user, joined to the funnel (`join_funnel`), timestamps each
  `payment_status_change` (the event a gateway's webhook produces: `new_payment` is the
  charge's creation) with the wall clock.
* **Load**: an asyncio driver posts each charge's `PAYMENT_RECEIVED` webhook (the body
  and token as Asaas sends them) on a fixed schedule of `--rate` per second (open loop:
  a slow answer does not delay the next send), and timestamps each send.
* **Figures**, per phase: latency from send to the event received (p50/p99/max), the
  webhooks' own response times, events missing, and CPU milliseconds per webhook of the
  server processes, the job worker, PostgreSQL and this driver over the phase (until its
  last event arrived); then the seconds the job worker took to record the phase's sales
  (none are due after the floor's) and its CPU per webhook until then. The watcher's own
  CPU is reported for the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import resource
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.funnels.webhook_floor import FLOOR_PATH
from bench.harness import cpu_seconds, machine_ticks, rastro, write_report
from rastro.core.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[2]
ASAAS_KEY = "$aact_bench_asaas_api_key_000000000001"
ASAAS_TOKEN = "asaas-bench-webhook-token-000000000000001"
BUYER = {
    "name": "Maria Souza",
    "email": "maria.souza@example.com",
    "phone": "+5511987654321",
    "document": "529.982.247-25",
}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(_percentile(values, 0.50), 1),
        "p90_ms": round(_percentile(values, 0.90), 1),
        "p99_ms": round(_percentile(values, 0.99), 1),
        "max_ms": round(max(values), 1) if values else float("nan"),
    }


def _setup(base: str, token: str, asaas_url: str) -> tuple[str, str]:
    """The funnel and its checkout step; the Asaas account."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as api:
        made = api.post("/api/funnels", json={"name": "Bench", "slug": "bench"})
        made.raise_for_status()
        funnel = made.json()
        added = api.post(
            f"/api/funnels/{funnel['id']}/steps",
            json={
                "name": "checkout",
                "slug": "checkout",
                "step_type": "checkout",
                "content": {"headline": "Finalize sua compra"},
            },
        )
        assert added.status_code == 201, added.text
        step = added.json()
        api.put(
            f"/api/checkout/{funnel['id']}/{step['id']}",
            json={"product_name": "Curso", "product_price": "97.00"},
        ).raise_for_status()
        api.post(
            "/api/credentials",
            json={
                "name": "asaas",
                "service": "asaas",
                "api_key": ASAAS_KEY,
                "api_secret": ASAAS_TOKEN,
                "api_url": asaas_url,
            },
        ).raise_for_status()
    return funnel["id"], step["id"]


def _charges(
    base: str, token: str, data: Path, funnel_id: str, step_id: str, count: int
) -> list[dict[str, Any]]:
    """`count` pending PIX charges of the funnel's checkout: one made through the API (at
    the fake Asaas), the others copies of it in SQL, each its own Asaas id."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as api:
        response = api.post(
            "/api/payments/create",
            json={
                "amount": "97.00",
                "product_name": "Curso",
                "customer": BUYER,
                "funnel_id": funnel_id,
                "step_id": step_id,
            },
        )
        response.raise_for_status()
        template = response.json()["id"]
    with psycopg.connect(EmbeddedPostgres(data).superuser_conninfo("rastro_crm")) as crm:
        crm.execute(CLONE, {"n": count, "template": template})
        rows = crm.execute(
            "SELECT id::text, external_id FROM payments WHERE external_id LIKE 'pay_bench_%%'"
            " ORDER BY substr(external_id, 11)::int"
        ).fetchall()
        crm.commit()
        crm.autocommit = True
        crm.execute("VACUUM ANALYZE payments")
    return [{"id": row[0], "external_id": row[1], "status": "pending"} for row in rows]


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


def _sales_due(data: Path) -> int:
    """Sales not recorded yet: due payments (CRM 0046's `sale_status`, when the code has
    it) and sale jobs waiting or running (one per sale before it)."""
    with psycopg.connect(EmbeddedPostgres(data).superuser_conninfo("rastro_crm")) as crm:
        row = crm.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
            " AND task_name IN ('payments:record_sale', 'payments:record_sales')"
        ).fetchone()
        jobs = int(row[0]) if row else 0
        has_column = crm.execute(
            "SELECT 1 FROM information_schema.columns"
            " WHERE table_name = 'payments' AND column_name = 'sale_status'"
        ).fetchone()
        if not has_column:
            return jobs
        row = crm.execute(
            "SELECT count(*) FROM payments WHERE status IN ('paid', 'refunded', 'chargedback')"
            " AND sale_status IS DISTINCT FROM status"
        ).fetchone()
    return jobs + (int(row[0]) if row else 0)


def _watch(
    base: str, token: str, funnel_id: str, expected: int, ready: Any, stop: Any, results: Any
) -> None:
    """The watcher process: joins the funnel, then records when each payment's
    `payment_status_change` to paid arrives, until `expected` arrived or the driver says
    stop."""
    import socketio

    async def run() -> None:
        received: dict[str, float] = {}
        client = socketio.AsyncClient(reconnection=False)
        done = asyncio.Event()

        @client.on("payment_status_change")
        async def changed(data: dict[str, Any]) -> None:
            if data.get("status") == "paid" and data.get("funnel_id") == funnel_id:
                received.setdefault(data["payment_id"], time.time())
                if len(received) >= expected:
                    done.set()

        await client.connect(
            base, socketio_path="/socket.io", auth={"token": token}, transports=["websocket"]
        )
        joined = await client.call("join_funnel", {"funnel_id": funnel_id}, timeout=30)
        assert joined == {"ok": True}, joined
        ready.put("ready")
        loop = asyncio.get_running_loop()
        told = loop.run_in_executor(None, stop.get)  # the driver's "stop"
        await asyncio.wait(
            [asyncio.ensure_future(done.wait()), told], return_when=asyncio.FIRST_COMPLETED
        )
        await client.disconnect()
        used = resource.getrusage(resource.RUSAGE_SELF)
        results.put((received, used.ru_utime + used.ru_stime))

    asyncio.run(run())


async def _drive(
    base: str, charges: list[dict[str, Any]], rate: float, path: str
) -> tuple[dict[str, float], list[float], dict[str, int]]:
    """Post each charge's paid webhook at `rate` per second: the send times by payment
    id, the response times, and the failures by kind (an HTTP status that was not 200,
    or the client's exception: a timeout is the client giving up, not the server)."""
    import orjson

    sent: dict[str, float] = {}
    answered: list[float] = []
    failed: dict[str, int] = {}
    bodies = [
        (
            charge["id"],
            orjson.dumps(
                {
                    "id": f"evt_bench_{index}",
                    "event": "PAYMENT_RECEIVED",
                    "dateCreated": "2026-12-07 03:00:00",
                    "payment": {
                        "object": "payment",
                        "id": charge["external_id"],
                        "status": "RECEIVED",
                        "value": 97.0,
                        "billingType": "PIX",
                    },
                }
            ),
        )
        for index, charge in enumerate(charges)
    ]
    headers = {"content-type": "application/json", "asaas-access-token": ASAAS_TOKEN}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def post(payment_id: str, body: bytes) -> None:
            sent[payment_id] = time.time()
            started = time.perf_counter()
            kind = None
            try:
                response = await client.post(path, content=body, headers=headers)
                if response.status_code != 200:
                    kind = f"http_{response.status_code}"
            except httpx.HTTPError as error:
                kind = type(error).__name__
            if kind is not None:
                failed[kind] = failed.get(kind, 0) + 1
            answered.append(1000 * (time.perf_counter() - started))

        start = time.perf_counter() + 0.5
        tasks = []
        for index, (payment_id, body) in enumerate(bodies):
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(payment_id, body)))
        await asyncio.gather(*tasks)
    return sent, answered, failed


WEBHOOK_PATH = "/api/payments/webhook/asaas"


def _own_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _phase(
    run: Any, name: str, path: str, charges: list[dict[str, Any]], rate: float
) -> dict[str, Any]:
    """Post the charges' webhooks to `path`; CPU until the last event could arrive, then
    until the job worker recorded the phase's sales."""
    before, driver = cpu_seconds(), _own_cpu()
    total_before, steal_before = machine_ticks()
    began = time.perf_counter()
    sent, answered, failed = asyncio.run(_drive(run.base, charges, rate, path))
    sending_seconds = time.perf_counter() - began
    time.sleep(1.0)  # the last events arrive
    after, driver = cpu_seconds(), _own_cpu() - driver
    total_after, steal_after = machine_ticks()
    settling = time.perf_counter()
    while _sales_due(run.data) and time.perf_counter() - settling < 900:
        time.sleep(0.5)
    settled, left = cpu_seconds(), _sales_due(run.data)
    n = max(1, len(sent))
    cpu = {k: round(after.get(k, 0.0) - before.get(k, 0.0), 2) for k in after}
    cpu["driver"] = round(driver, 2)
    return {
        "phase": name,
        "path": path,
        "sent": sent,
        "report": {
            "webhooks": len(sent),
            "sending_s": round(sending_seconds, 1),
            "achieved_rate_per_s": round(len(sent) / sending_seconds, 1),
            "webhook_errors": sum(failed.values()),
            "webhook_errors_by_kind": failed,
            "webhook_response": _summary(answered),
            "cpu_s": cpu,
            "cpu_ms_per_webhook": {k: round(1000 * v / n, 2) for k, v in cpu.items()},
            "steal_pct": round(
                100 * (steal_after - steal_before) / max(1, total_after - total_before), 1
            ),
            "sales_recorded_after_s": round(time.perf_counter() - settling, 1),
            "sales_left_due": left,
            "job_worker_cpu_ms_per_webhook_until_recorded": round(
                1000 * (settled.get("job_worker", 0.0) - before.get("job_worker", 0.0)) / n,
                2,
            ),
            "postgres_cpu_ms_per_webhook_until_recorded": round(
                1000 * (settled.get("postgres", 0.0) - before.get("postgres", 0.0)) / n, 2
            ),
            "load_average_after": [round(x, 1) for x in os.getloadavg()],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--webhooks", type=int, default=3000, help="per phase")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8941)
    parser.add_argument(
        "--floor", action="store_true", help="first a phase of the floor route (webhook_floor)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.fakes.asaas import FakeAsaas

    phases = [("floor", FLOOR_PATH)] if args.floor else []
    phases.append(("webhook", WEBHOOK_PATH))
    load = os.getloadavg()
    asaas = FakeAsaas(ASAAS_KEY, ASAAS_TOKEN).start()
    factory = "bench.funnels.webhook_floor:floor_app" if args.floor else None
    done: list[dict[str, Any]] = []
    try:
        with rastro(
            "webhook-broadcast",
            port=args.port,
            workers=args.workers,
            with_worker=True,
            factory=factory,
        ) as run:
            funnel_id, step_id = _setup(run.base, run.token, asaas.url)
            charges = _charges(
                run.base, run.token, run.data, funnel_id, step_id, args.webhooks * len(phases)
            )
            time.sleep(5)  # the charges' own jobs (recovery, expiry) settle
            context = multiprocessing.get_context("spawn")
            ready, stop, results = context.Queue(), context.Queue(), context.Queue()
            watcher = context.Process(
                target=_watch,
                args=(run.base, run.token, funnel_id, len(charges), ready, stop, results),
            )
            watcher.start()
            assert ready.get(timeout=60) == "ready"
            for number, (name, path) in enumerate(phases):
                part = charges[number * args.webhooks : (number + 1) * args.webhooks]
                done.append(_phase(run, name, path, part, args.rate))
            try:  # the watcher answers once every event arrived ...
                received, watcher_cpu = results.get(timeout=20)
            except queue.Empty:  # ... or, told to stop, with those that did
                stop.put("stop")
                received, watcher_cpu = results.get(timeout=20)
            stop.put("stop")  # (ends the watcher's wait for it)
            watcher.join(timeout=10)
    finally:
        asaas.stop()
    report: dict[str, Any] = {
        "workers": args.workers,
        "rate_per_s": args.rate,
        "webhooks_per_phase": args.webhooks,
        "watcher_cpu_ms_per_event": round(1000 * watcher_cpu / max(1, len(received)), 2),
        "load_average_before": [round(x, 1) for x in load],
    }
    for phase in done:
        sent = phase["sent"]
        latencies = [1000 * (received[p] - sent[p]) for p in sent if p in received]
        report[phase["phase"]] = {
            "path": phase["path"],
            "events_received": len(latencies),
            "events_missing": len(sent) - len(latencies),
            "send_to_event": _summary(latencies),
            **phase["report"],
        }
    report["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    write_report("webhook-broadcast", report)


if __name__ == "__main__":
    main()
