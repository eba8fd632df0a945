"""Sales recorded in batches: every payment that sells becomes exactly one lead, one
purchase conversion and one won deal — however many webhooks, jobs and sweeps run, at
once or again — and none is lost: a sale whose job never saw it, or whose recording
failed, stays due until a later run records it."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from sqlalchemy import text

from rastro.conversions.models import OfflineConversion
from rastro.core.db import SYSTEM
from rastro.core.jobs import enqueue
from rastro.core.units import TransactionBoundary
from rastro.crm.models import Deal, Lead
from rastro.funnels.payments.models import SALE_DUE, Payment
from rastro.funnels.payments.service import outcomes
from tests.funnels.payments import factories as f
from tests.helpers import drain_jobs


async def _org(client, databases, asaas) -> f.Org:
    org = await f.make_org(client, databases)
    await f.add_credential(
        client,
        org,
        "asaas",
        api_key=f.ASAAS_KEY,
        api_secret=f.ASAAS_WEBHOOK_TOKEN,
        api_url=asaas.url,
    )
    return org


async def _pay(client, asaas, payments: list[dict], event: str = "PAYMENT_RECEIVED") -> None:
    """Each payment's webhook, twice (gateways deliver again), all at once."""
    deliveries = [asaas.webhook(p["external_id"], event) for p in payments for _ in range(2)]
    answers = await asyncio.gather(*(d.send(client) for d in deliveries))
    assert {a.status_code for a in answers} == {200}


async def _sql(databases, statement: str, **params) -> list[tuple]:
    async with databases.crm.transaction(SYSTEM) as session:
        result = await session.execute(text(statement), params)
        return list(result) if result.returns_rows else []


async def _due(databases) -> set[str]:
    rows = await _sql(databases, f"SELECT id::text FROM payments WHERE {SALE_DUE}")
    return {row[0] for row in rows}


async def _assert_one_sale_each(databases, org, payments: list[dict]) -> None:
    ids = {p["id"] for p in payments}
    conversions = await f.rows(databases, org, OfflineConversion)
    assert sorted(c.order_id for c in conversions) == sorted(f"purchase-{i}" for i in ids)
    deals = await f.rows(databases, org, Deal)
    assert sorted(d.external_id for d in deals) == sorted(f"payment:{i}" for i in ids)
    assert all(d.stage == "won" for d in deals)
    leads = await f.rows(databases, org, Lead)
    assert len(leads) == len(ids)
    stored = {str(p.id): p for p in await f.rows(databases, org, Payment)}
    by_conversion = {c.conversion_id: c for c in conversions}
    for payment_id in ids:
        payment = stored[payment_id]
        assert payment.sale_status == payment.status
        assert by_conversion[payment.conversion_id].order_id == f"purchase-{payment_id}"
        assert payment.lead_id in {lead.lead_id for lead in leads}


def _boundaries(databases) -> tuple[TransactionBoundary, TransactionBoundary]:
    return TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)


async def test_a_burst_of_sales_is_recorded_once_each(client, databases, settings, asaas):
    org = await _org(client, databases, asaas)
    made = [await f.create_payment(client, org, amount=f"{90 + i}.00") for i in range(12)]
    await _pay(client, asaas, made)
    # Twelve sales due, one job waiting for all of them.
    assert await _due(databases) == {p["id"] for p in made}
    jobs = await _sql(
        databases,
        "SELECT status::text, count(*) FROM procrastinate_jobs"
        " WHERE task_name = 'payments:record_sales' GROUP BY 1",
    )
    assert jobs == [("todo", 1)]

    await drain_jobs(settings, databases)
    assert await _due(databases) == set()
    await _assert_one_sale_each(databases, org, made)
    values = sorted(c.conversion_value for c in await f.rows(databases, org, OfflineConversion))
    assert values == [Decimal(f"{90 + i}.00") for i in range(12)]

    # Recorded again, twice at once, plus a job of the one-job-per-sale version for some
    # of them, with half the sales marked due again (a batch that failed after its
    # writes): still one lead, conversion and deal each.
    half = [p["id"] for p in made[:6]]
    await _sql(
        databases,
        "UPDATE payments SET sale_status = NULL WHERE id = ANY(CAST(:ids AS uuid[]))",
        ids=half,
    )
    async with databases.crm.transaction(SYSTEM) as session:
        for payment in made[4:8]:
            await enqueue(
                session,
                "payments:record_sale",
                args={"organization_id": str(org.id), "payment_id": payment["id"]},
                queue=outcomes.QUEUE,
            )
    crm, bi = _boundaries(databases)
    tried = await asyncio.gather(
        outcomes.record_due_sales(crm, bi), outcomes.record_due_sales(crm, bi)
    )
    assert sum(tried) >= 6
    await drain_jobs(settings, databases)
    assert await _due(databases) == set()
    await _assert_one_sale_each(databases, org, made)


async def test_a_refund_before_the_job_ran_is_recorded_with_the_sale(
    client, databases, settings, asaas
):
    org = await _org(client, databases, asaas)
    payment = await f.create_payment(client, org)
    await _pay(client, asaas, [payment])
    await _pay(client, asaas, [payment], "PAYMENT_REFUNDED")
    assert await _due(databases) == {payment["id"]}
    await drain_jobs(settings, databases)
    assert await _due(databases) == set()
    await _assert_one_sale_each(databases, org, [payment])
    (conversion,) = await f.rows(databases, org, OfflineConversion)
    assert conversion.order_status == "refunded"
    (deal,) = await f.rows(databases, org, Deal)
    assert deal.refunded_amount == Decimal("97.00")
    (stored,) = await f.rows(databases, org, Payment)
    assert stored.sale_status == "refunded"


async def test_a_sale_no_job_saw_is_recorded_by_the_sweep(client, databases, settings, asaas):
    """The waiting job scanned just before the payment's transaction committed: no job
    waits for that sale; the minute's sweep records it."""
    org = await _org(client, databases, asaas)
    payment = await f.create_payment(client, org)
    await _pay(client, asaas, [payment])
    await _sql(
        databases, "DELETE FROM procrastinate_jobs WHERE task_name = 'payments:record_sales'"
    )
    await drain_jobs(settings, databases)
    assert await _due(databases) == {payment["id"]}  # nothing recorded it

    async with databases.crm.transaction(SYSTEM) as session:
        await enqueue(session, "payments:sweep_sales", args={"timestamp": 0}, queue=outcomes.QUEUE)
    await drain_jobs(settings, databases)
    assert await _due(databases) == set()
    await _assert_one_sale_each(databases, org, [payment])


async def test_a_sale_that_fails_holds_back_no_other_and_stays_due(
    client, databases, settings, asaas, monkeypatch
):
    org = await _org(client, databases, asaas)
    made = [await f.create_payment(client, org) for _ in range(3)]
    await _pay(client, asaas, made)
    broken = uuid.UUID(made[1]["id"])
    convert = outcomes._convert

    async def failing(session, payment, lead_id):
        if payment.id == broken:
            raise RuntimeError("the conversion could not be written")
        return await convert(session, payment, lead_id)

    monkeypatch.setattr(outcomes, "_convert", failing)
    crm, bi = _boundaries(databases)
    assert await outcomes.record_due_sales(crm, bi) == 3
    assert await _due(databases) == {str(broken)}
    conversions = await f.rows(databases, org, OfflineConversion)
    assert sorted(c.order_id for c in conversions) == sorted(
        f"purchase-{p['id']}" for p in (made[0], made[2])
    )

    monkeypatch.setattr(outcomes, "_convert", convert)
    assert await outcomes.record_due_sales(crm, bi) == 1
    assert await _due(databases) == set()
    await _assert_one_sale_each(databases, org, made)


async def test_a_sale_without_contact_data_is_no_longer_due(client, databases, settings, asaas):
    org = await _org(client, databases, asaas)
    customer = {"name": "Maria Souza", "document": "52998224725"}
    payment = await f.create_payment(client, org, customer=customer)
    await _pay(client, asaas, [payment])
    await drain_jobs(settings, databases)
    assert await _due(databases) == set()
    (stored,) = await f.rows(databases, org, Payment)
    assert (stored.status, stored.sale_status, stored.lead_id) == ("paid", "paid", None)
    assert await f.rows(databases, org, OfflineConversion) == []
