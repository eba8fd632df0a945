"""The job queue: enqueued inside the caller's transaction, run by the worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from rastro.auth.models import AuthSession, LoginAttempt
from rastro.core.db import SYSTEM
from rastro.core.jobs import enqueue
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
