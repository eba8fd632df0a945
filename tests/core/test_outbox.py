"""The outbox: one waiting delivery job however many messages, batches handed over per
organization, a failing group kept for later without holding back the others."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from rastro.core import outbox
from rastro.core.db import SYSTEM, Scope
from rastro.core.outbox import OutboxMessage
from tests.auth.factories import make_account
from tests.helpers import drain_jobs

calls: list[tuple[uuid.UUID, list[int]]] = []
failing: set[uuid.UUID] = set()


@pytest.fixture(autouse=True)
def _fresh_handler_state():
    calls.clear()
    failing.clear()


@outbox.handler("test.numbers")
async def _apply(databases, crm, organization_id, messages: list[outbox.Message]) -> None:
    calls.append((organization_id, [m.payload["n"] for m in messages]))
    # A CRM write in the claiming transaction: kept only if the group succeeds.
    await outbox.publish(crm, organization_id, "test.echo", {"of": messages[0].payload["n"]})
    if organization_id in failing:
        raise RuntimeError("the other database is down")


@outbox.handler("test.echo")
async def _echo(databases, crm, organization_id, messages: list[outbox.Message]) -> None:
    pass


async def _publish(databases, organization_id: uuid.UUID, numbers: range) -> None:
    # One transaction each: messages are ordered by the time of the transaction that
    # published them (within one transaction, their ids of the same millisecond are not).
    for n in numbers:
        async with databases.crm.transaction(Scope.organization(organization_id)) as session:
            await outbox.publish(session, organization_id, "test.numbers", {"n": n})


async def _messages(databases, topic: str) -> list[OutboxMessage]:
    async with databases.crm.transaction(SYSTEM) as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def _jobs(databases, status: str) -> int:
    async with databases.crm.transaction(SYSTEM) as session:
        return (
            await session.execute(
                text(
                    "SELECT count(*) FROM procrastinate_jobs "
                    "WHERE task_name = 'core:outbox.deliver' AND status = :status"
                ),
                {"status": status},
            )
        ).scalar_one()


async def _waiting_jobs(databases) -> int:
    return await _jobs(databases, "todo")


async def test_many_messages_wait_for_one_job_that_hands_them_over_per_organization(
    databases, settings
):
    a = await make_account(databases)
    b = await make_account(databases)
    await _publish(databases, a.organization_id, range(0, 3))
    await _publish(databases, b.organization_id, range(3, 5))
    await _publish(databases, a.organization_id, range(5, 6))
    assert await _waiting_jobs(databases) == 1

    await drain_jobs(settings, databases, queues=["outbox"])

    assert dict(calls) == {a.organization_id: [0, 1, 2, 5], b.organization_id: [3, 4]}
    assert all(m.delivered_at is not None for m in await _messages(databases, "test.numbers"))
    # The echoes published while the job ran queued a second job, which the worker ran.
    echoes = await _messages(databases, "test.echo")
    assert len(echoes) == 2
    assert all(m.delivered_at is not None for m in echoes)
    assert await _waiting_jobs(databases) == 0


async def test_a_failing_organization_is_retried_later_and_the_others_go_through(databases):
    good = await make_account(databases)
    bad = await make_account(databases)
    await _publish(databases, good.organization_id, range(0, 2))
    await _publish(databases, bad.organization_id, range(2, 4))
    failing.add(bad.organization_id)

    assert await outbox.deliver(databases) == 4

    state: dict[int, Any] = {m.payload["n"]: m for m in await _messages(databases, "test.numbers")}
    assert state[0].delivered_at is not None
    assert state[1].delivered_at is not None
    for n in (2, 3):
        assert state[n].delivered_at is None
        assert state[n].attempts == 1
        assert state[n].last_error == "RuntimeError: the other database is down"
        assert state[n].available_at > state[n].created_at
    # The failing group's own CRM write was rolled back with its savepoint.
    echoes = await _messages(databases, "test.echo")
    assert [e.organization_id for e in echoes] == [good.organization_id]

    # Not due yet: only the echo is claimed. Once due (and the other side back), it goes.
    assert await outbox.deliver(databases) == 1
    failing.clear()
    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.delivered_at.is_(None))
            .values(available_at=func.now())
        )
    assert await outbox.deliver(databases) == 2
    state = {m.payload["n"]: m for m in await _messages(databases, "test.numbers")}
    assert all(m.delivered_at is not None for m in state.values())
    assert state[2].attempts == 2


async def test_a_backlog_is_delivered_in_batches_oldest_first(databases):
    a = await make_account(databases)
    await _publish(databases, a.organization_id, range(0, 7))
    # Echo messages join the backlog as batches are applied, so count only ours.
    await outbox.deliver(databases, batch_size=3)
    numbers = [numbers for _, numbers in calls]
    assert numbers == [[0, 1, 2], [3, 4, 5], [6]]
    assert all(m.delivered_at is not None for m in await _messages(databases, "test.numbers"))


async def test_messages_gather_while_the_delivery_job_waits(databases, settings):
    a = await make_account(databases)
    await _publish(databases, a.organization_id, range(0, 1))
    gathering = settings.model_copy(update={"outbox_gather_seconds": 0.5})
    worker = asyncio.create_task(drain_jobs(gathering, databases, queues=["outbox"]))
    async with asyncio.timeout(10):
        while await _jobs(databases, "doing") == 0:  # noqa: ASYNC110 (a database state)
            await asyncio.sleep(0.02)
    # Committed while the running job gathers: they queue a second job, which waits for
    # the first (their lock) — and the first job's claim already takes them.
    await _publish(databases, a.organization_id, range(1, 3))
    assert await _jobs(databases, "todo") == 1
    await worker
    assert calls[0] == (a.organization_id, [0, 1, 2])
    assert await _jobs(databases, "succeeded") == 2


async def test_delivered_messages_are_forgotten_after_a_week(databases):
    a = await make_account(databases)
    await _publish(databases, a.organization_id, range(0, 3))
    await outbox.deliver(databases)
    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.topic == "test.numbers")
            .values(delivered_at=func.now() - timedelta(days=8))
        )
        # One of them never delivered (still failing): kept whatever its age.
        await session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.payload["n"].as_integer() == 2)
            .values(delivered_at=None)
        )
    assert await outbox.purge_delivered(databases) == 2
    left = await _messages(databases, "test.numbers")
    assert [m.payload["n"] for m in left] == [2]
    assert len(await _messages(databases, "test.echo")) == 1  # delivered just now: kept


@outbox.handler("test.bad_value")
async def _bad_value(databases, crm, organization_id, messages: list[outbox.Message]) -> None:
    # A statement that fails on a personal value given as its parameter.
    await crm.execute(text("SELECT CAST(:v AS uuid)"), {"v": messages[0].payload["email"]})


async def test_a_failed_message_keeps_no_statement_values(databases):
    account = await make_account(databases)
    email = "maria.silva@exemplo.com.br"
    async with databases.crm.transaction(Scope.organization(account.organization_id)) as session:
        await outbox.publish(session, account.organization_id, "test.bad_value", {"email": email})

    assert await outbox.deliver(databases) == 1

    [message] = await _messages(databases, "test.bad_value")
    assert message.delivered_at is None
    assert message.last_error.startswith("DataError: (psycopg.errors.InvalidTextRepresentation)")
    assert "sqlstate=22P02" in message.last_error
    assert email not in message.last_error
    assert "maria" not in message.last_error
