"""A gateway's webhook delivered several times at once, or with statuses racing each
other: the payment moves once per status and never backwards, the notification is stored
once per (gateway, charge, status), the sale is due (one job waiting) for each status that
sells, and the funnel's watchers hear each move once, only after it committed."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import orjson
import psycopg
from sqlalchemy import text

from rastro.core.db import SYSTEM, libpq_url
from rastro.core.live import CHANNEL
from rastro.funnels.payments.models import SALE_DUE, PaymentWebhook
from rastro.funnels.payments.statuses import STATUSES, Transition, allowed_from, transition
from tests.funnels.payments import factories as f


async def _asaas_payment(client, databases, asaas) -> tuple[f.Org, dict]:
    org = await f.make_org(client, databases)
    await f.add_credential(
        client,
        org,
        "asaas",
        api_key=f.ASAAS_KEY,
        api_secret=f.ASAAS_WEBHOOK_TOKEN,
        api_url=asaas.url,
    )
    return org, await f.create_payment(client, org, amount="97.00")


async def _sale_due(databases, payment_id: str) -> tuple[str | None, int]:
    """The status whose sale is due (None: none), and how many sale jobs wait."""
    async with databases.crm.transaction(SYSTEM) as session:
        due = await session.scalar(
            text(f"SELECT status FROM payments WHERE id = :id AND {SALE_DUE}"), {"id": payment_id}
        )
        jobs = await session.scalar(
            text(
                "SELECT count(*) FROM procrastinate_jobs"
                " WHERE task_name = 'payments:record_sales' AND status = 'todo'"
            )
        )
    return due, int(jobs)


async def _changes(listener: psycopg.AsyncConnection, wait: float = 1.0) -> list[tuple[str, str]]:
    """The payment events the live channel carried within `wait` seconds."""
    seen: list[tuple[str, str]] = []

    async def receive() -> None:
        async for notify in listener.notifies():
            for message in orjson.loads(notify.payload):
                if message.get("event") in ("new_payment", "payment_status_change"):
                    seen.append((message["event"], message["data"][0]["status"]))

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(receive(), wait)
    return seen


def test_the_single_statement_rule_is_the_transition_rule():
    for current in STATUSES:
        for proposed in STATUSES:
            moves = transition(current, proposed) is Transition.APPLY
            assert (current in allowed_from(proposed)) == moves, (current, proposed)


async def test_the_same_webhook_delivered_at_once_moves_the_payment_once(
    client, databases, settings, asaas
):
    org, payment = await _asaas_payment(client, databases, asaas)
    external = payment["external_id"]
    async with await psycopg.AsyncConnection.connect(
        libpq_url(settings.crm_database_url), autocommit=True
    ) as listener:
        await listener.execute(f"LISTEN {CHANNEL}")
        answers = await asyncio.gather(
            *(asaas.webhook(external, "PAYMENT_RECEIVED").send(client) for _ in range(8))
        )
        assert [a.status_code for a in answers] == [200] * 8
        outcomes = sorted(a.json()["results"][0]["outcome"] for a in answers)
        assert outcomes == ["applied"] + ["same"] * 7
        assert await _changes(listener) == [("payment_status_change", "paid")]
    assert await f.status_of(client, org, payment["id"]) == "paid"
    stored = await f.rows(databases, org, PaymentWebhook)
    assert [(w.status, w.outcome) for w in stored] == [("paid", "applied")]
    assert await _sale_due(databases, payment["id"]) == ("paid", 1)


async def test_racing_statuses_never_move_a_payment_backwards(client, databases, asaas):
    org, payment = await _asaas_payment(client, databases, asaas)
    external = payment["external_id"]
    events = ["PAYMENT_OVERDUE", "PAYMENT_RECEIVED"] * 4
    answers = await asyncio.gather(
        *(asaas.webhook(external, event).send(client) for event in events)
    )
    assert [a.status_code for a in answers] == [200] * 8
    # Overdue first: expired, then the late payment is applied; paid first: overdue is
    # behind it. Either way paid once, and paid at the end.
    by_status: dict[str, list[str]] = {}
    for answer in answers:
        (result,) = answer.json()["results"]
        by_status.setdefault(result["status"], []).append(result["outcome"])
    assert sorted(by_status["paid"]) == ["applied", "same", "same", "same"]
    assert set(by_status["expired"]) <= {"applied", "same", "backwards"}
    assert await f.status_of(client, org, payment["id"]) == "paid"
    # Refunded after paid; then nothing moves it again.
    refunded = await asaas.webhook(external, "PAYMENT_REFUNDED").send(client)
    assert refunded.json()["results"][0]["outcome"] == "applied"
    late = await asaas.webhook(external, "PAYMENT_RECEIVED").send(client)
    assert late.json()["results"][0]["outcome"] == "backwards"
    assert await f.status_of(client, org, payment["id"]) == "refunded"
    stored = {(w.status, w.outcome) for w in await f.rows(databases, org, PaymentWebhook)}
    assert ("paid", "applied") in stored
    assert ("refunded", "applied") in stored
    # The sale, then its refund, recorded by the one job waiting.
    assert await _sale_due(databases, payment["id"]) == ("refunded", 1)


async def test_another_gateways_charge_of_the_same_id_is_not_touched(client, databases, asaas):
    org, payment = await _asaas_payment(client, databases, asaas)
    unknown = await asaas.webhook(uuid.uuid4().hex, "PAYMENT_RECEIVED").send(client)
    assert unknown.json()["results"][0]["outcome"] == "unknown_payment"
    # The same charge id through another gateway's URL: not this payment.
    delivery = asaas.webhook(payment["external_id"], "PAYMENT_RECEIVED")
    delivery.path = "/api/payments/webhook/mercadopago"
    other = await delivery.send(client)
    assert other.status_code in (200, 400)
    assert await f.status_of(client, org, payment["id"]) == "pending"


async def test_what_the_plain_route_refuses_changes_nothing(client, databases, asaas):
    org, payment = await _asaas_payment(client, databases, asaas)
    headers = {"content-type": "application/json", "asaas-access-token": f.ASAAS_WEBHOOK_TOKEN}
    # A NUL character PostgreSQL cannot store: 422 with the error envelope.
    nul = orjson.dumps(
        {"id": "evt_1", "event": "PAYMENT_RECEIVED", "payment": {"id": "pay\u0000x"}}
    )
    refused = await client.post("/api/payments/webhook/asaas", content=nul, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "validation_error"
    # A body over 256 KB: 413.
    large = b'{"padding": "' + b"x" * (256 * 1024) + b'"}'
    too_large = await client.post("/api/payments/webhook/asaas", content=large, headers=headers)
    assert too_large.status_code == 413
    assert too_large.json()["error"]["code"] == "payload_too_large"
    assert await f.status_of(client, org, payment["id"]) == "pending"
    assert await f.rows(databases, org, PaymentWebhook) == []
