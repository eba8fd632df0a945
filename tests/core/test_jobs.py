"""The job queue: enqueued inside the caller's transaction, run by the worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from rastro.auth.models import AuthSession, LoginAttempt
from rastro.cli import build_job_app
from rastro.core.db import SYSTEM
from rastro.core.jobs import enqueue, recover_stalled_jobs
from tests.auth.factories import login, make_account
from tests.helpers import drain_jobs


async def _job_count(databases) -> int:
    async with databases.crm.transaction(SYSTEM) as session:
        return (await session.execute(text("SELECT count(*) FROM procrastinate_jobs"))).scalar()


async def test_a_job_exists_only_if_its_transaction_commits(databases):
    async with databases.crm.session(SYSTEM) as session:
        await enqueue(session, "auth:auth.purge_expired", args={"timestamp": 0})
        await session.rollback()
    assert await _job_count(databases) == 0
    async with databases.crm.transaction(SYSTEM) as session:
        await enqueue(session, "auth:auth.purge_expired", args={"timestamp": 0})
    assert await _job_count(databases) == 1


async def test_the_worker_runs_the_purge_job(client, databases, settings):
    account = await make_account(databases)
    await login(client, account)
    await login(client, account)
    old = datetime.now(UTC) - timedelta(days=40)
    async with databases.crm.transaction(SYSTEM) as session:
        sessions = (await session.scalars(select(AuthSession))).all()
        sessions[0].expires_at = old
        session.add(LoginAttempt(email_hash="x" * 64, succeeded=False, created_at=old))
        await enqueue(
            session, "auth:auth.purge_expired", args={"timestamp": 0}, queue="maintenance"
        )
    await drain_jobs(settings, databases, queues=["maintenance"])
    async with databases.crm.transaction(SYSTEM) as session:
        assert await session.scalar(select(func.count(AuthSession.id))) == 1
        assert (
            await session.scalar(
                select(func.count(LoginAttempt.id)).where(
                    LoginAttempt.created_at < old + timedelta(days=1)
                )
            )
            == 0
        )
        status = (
            (
                await session.execute(
                    text(
                        "SELECT status FROM procrastinate_jobs"
                        " WHERE task_name = 'auth:auth.purge_expired' AND args->>'timestamp' = '0'"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert status == ["succeeded"]


async def _stalled_job(session, status: str, queueing_lock: str | None) -> int:
    return (
        await session.execute(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, queueing_lock, "
                "args, status) VALUES ('outbox', 'core:outbox.deliver', :lock, :qlock, '{}', "
                "CAST(:status AS procrastinate_job_status)) RETURNING id"
            ),
            {"lock": queueing_lock, "qlock": queueing_lock, "status": status},
        )
    ).scalar_one()


async def _status(databases, job_id: int) -> str:
    async with databases.crm.transaction(SYSTEM) as session:
        return (
            await session.execute(
                text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
            )
        ).scalar_one()


async def test_jobs_a_dead_worker_left_running_are_given_back(databases, settings):
    # Left in `doing` with no worker (its heartbeat row gone): one whose queueing lock has
    # a job waiting already, one without.
    async with databases.crm.transaction(SYSTEM) as session:
        superseded = await _stalled_job(session, "doing", "core.outbox_deliver")
        waiting = await _stalled_job(session, "todo", "core.outbox_deliver")
        alone = await _stalled_job(session, "doing", None)
    app = build_job_app(settings)
    async with app.open_async():
        assert await recover_stalled_jobs(app) == 2
    assert await _status(databases, superseded) == "failed"
    assert await _status(databases, waiting) == "todo"
    assert await _status(databases, alone) == "todo"
