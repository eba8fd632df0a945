"""A gateway's webhook applied and broadcast to a watching client (issue 19's target: p99
≤ 50 ms at 200 webhooks/s), load generator and watcher included.

    PYTHONPATH=$PWD/src .venv/bin/python -m bench.funnels.webhook_broadcast \\
        [--rate 200] [--webhooks 3000] [--workers 2]

* **Server**: `rastro serve --workers N` and `rastro worker` (the real deployment) on a
  fresh embedded PostgreSQL.
* **Data**: one funnel (capture → checkout with its offer), an Asaas account (the
  credential's webhook token is what Asaas sends in `asaas-access-token`), and
  `--webhooks` PIX charges made through `POST /api/payments/create` against the fake
  Asaas of the tests (`tests/fakes/asaas.py`), each a distinct payment of the funnel's
  checkout with a buyer.
* **Watcher**: a socket.io client in a process of its own, signed in as the
  organization's user, joined to the funnel (`join_funnel`), timestamps each
  `payment_status_change` (the event a gateway's webhook produces: `new_payment` is the
  charge's creation) with the wall clock.
* **Load**: an asyncio driver posts each charge's `PAYMENT_RECEIVED` webhook (the body
  and token as Asaas sends them) on a fixed schedule of `--rate` per second (open loop:
  a slow answer does not delay the next send), and timestamps each send.
* **Figures**: latency from send to the event received (p50/p99/max), the webhooks'
  own response times, events missing, and CPU milliseconds per webhook of the server
  processes, the job worker and PostgreSQL over the run.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.harness import cpu_seconds, machine_ticks, rastro, write_report

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


async def _charges(
    base: str, token: str, funnel_id: str, step_id: str, count: int
) -> list[dict[str, Any]]:
    """`count` pending PIX charges of the funnel's checkout (8 at a time)."""
    made: list[dict[str, Any]] = []
    limit = asyncio.Semaphore(8)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as api:

        async def one(index: int) -> None:
            async with limit:
                response = await api.post(
                    "/api/payments/create",
                    json={
                        "amount": "97.00",
                        "product_name": "Curso",
                        "customer": BUYER,
                        "funnel_id": funnel_id,
                        "step_id": step_id,
                        "idempotency_key": f"bench-{index}",
                    },
                )
                response.raise_for_status()
                made.append(response.json())

        await asyncio.gather(*(one(i) for i in range(count)))
    return made


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
        results.put(received)

    asyncio.run(run())


async def _drive(
    base: str, charges: list[dict[str, Any]], rate: float
) -> tuple[dict[str, float], list[float], int]:
    """Post each charge's paid webhook at `rate` per second: the send times by payment
    id, the response times, and the answers that were not 200."""
    import orjson

    sent: dict[str, float] = {}
    answered: list[float] = []
    failed = 0
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
            nonlocal failed
            sent[payment_id] = time.time()
            started = time.perf_counter()
            try:
                response = await client.post(
                    "/api/payments/webhook/asaas", content=body, headers=headers
                )
                if response.status_code != 200:
                    failed += 1
            except httpx.HTTPError:
                failed += 1
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--webhooks", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8941)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.fakes.asaas import FakeAsaas

    load = os.getloadavg()
    asaas = FakeAsaas(ASAAS_KEY, ASAAS_TOKEN).start()
    try:
        with rastro(
            "webhook-broadcast", port=args.port, workers=args.workers, with_worker=True
        ) as run:
            funnel_id, step_id = _setup(run.base, run.token, asaas.url)
            made = time.perf_counter()
            charges = asyncio.run(_charges(run.base, run.token, funnel_id, step_id, args.webhooks))
            charge_seconds = time.perf_counter() - made
            assert all(c["status"] == "pending" for c in charges)
            time.sleep(5)  # the charges' own jobs (recovery, expiry) settle
            context = multiprocessing.get_context("spawn")
            ready, stop, results = context.Queue(), context.Queue(), context.Queue()
            watcher = context.Process(
                target=_watch,
                args=(run.base, run.token, funnel_id, len(charges), ready, stop, results),
            )
            watcher.start()
            assert ready.get(timeout=60) == "ready"
            before = cpu_seconds()
            total_before, steal_before = machine_ticks()
            began = time.perf_counter()
            sent, answered, failed = asyncio.run(_drive(run.base, charges, args.rate))
            sending_seconds = time.perf_counter() - began
            try:  # the watcher answers once every event arrived ...
                received: dict[str, float] = results.get(timeout=20)
            except queue.Empty:  # ... or, told to stop, with those that did
                stop.put("stop")
                received = results.get(timeout=20)
            after = cpu_seconds()
            total_after, steal_after = machine_ticks()
            stop.put("stop")  # (ends the watcher's wait for it)
            watcher.join(timeout=10)
    finally:
        asaas.stop()
    latencies = [1000 * (received[p] - sent[p]) for p in sent if p in received]
    cpu = {k: round(after.get(k, 0.0) - before.get(k, 0.0), 2) for k in after}
    write_report(
        "webhook-broadcast",
        {
            "workers": args.workers,
            "rate_per_s": args.rate,
            "webhooks": len(sent),
            "charges_made_per_s": round(len(charges) / charge_seconds, 1),
            "sending_s": round(sending_seconds, 1),
            "achieved_rate_per_s": round(len(sent) / sending_seconds, 1),
            "webhook_errors": failed,
            "events_received": len(latencies),
            "events_missing": len(sent) - len(latencies),
            "send_to_event": _summary(latencies),
            "webhook_response": _summary(answered),
            "cpu_s": cpu,
            "cpu_ms_per_webhook": {
                k: round(1000 * v / max(1, len(sent)), 2) for k, v in cpu.items()
            },
            "steal_pct": round(
                100 * (steal_after - steal_before) / max(1, total_after - total_before), 1
            ),
            "load_average_before": [round(x, 1) for x in load],
            "load_average_after": [round(x, 1) for x in os.getloadavg()],
        },
    )


if __name__ == "__main__":
    main()
