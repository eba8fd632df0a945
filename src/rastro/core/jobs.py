"""The job queue: procrastinate on the CRM database.

Jobs are enqueued inside the caller's transaction (`enqueue`), so a job exists exactly
when the data it works on was committed. A job gets the process's `JobContext` (databases,
settings), opens its own transaction, does one unit of work and can run twice safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import procrastinate
from sqlalchemy import String, cast, column, exists, table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from rastro.core.db import Databases, libpq_url


@dataclass
class JobContext:
    databases: Databases
    settings: Any  # rastro.config.Settings (core does not import the app config type)


_context: JobContext | None = None


def set_job_context(context: JobContext | None) -> None:
    global _context
    _context = context


def job_context() -> JobContext:
    if _context is None:
        raise RuntimeError("the job context is not set (run jobs through `rastro worker`)")
    return _context


def create_job_app(crm_url: str) -> procrastinate.App:
    """The job app with core's own tasks (the outbox, mail requests, stalled jobs); modules
    add theirs."""
    from rastro.core import mail_requests, outbox

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=libpq_url(crm_url)),
    )
    outbox.register(app)
    mail_requests.register(app)
    app.add_tasks_from(blueprint, namespace="core")
    return app


_WAITING = (
    "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs "
    "WHERE queueing_lock = %(queueing_lock)s AND status = 'todo') AS waiting"
)


async def recover_stalled_jobs(app: procrastinate.App) -> int:
    """Give back the jobs a dead worker left in `doing` (no heartbeat for 30 s: killed,
    out of memory); returns how many. Each is retried — or marked failed when a job with
    the same queueing lock already waits, so that its work is queued anyway (procrastinate
    allows one such job waiting). A job with a lock would otherwise hold up every later
    job with that lock (the outbox's delivery jobs have one)."""
    manager = app.job_manager
    recovered = 0
    for job in await manager.get_stalled_jobs():
        waiting = False
        if job.queueing_lock:
            row = await app.connector.execute_query_one_async(
                _WAITING, queueing_lock=job.queueing_lock
            )
            waiting = bool(row["waiting"])
        if waiting:
            await manager.finish_job(job, status=procrastinate.jobs.Status.FAILED, delete_job=False)
        else:
            await manager.retry_job(job)
        recovered += 1
    return recovered


blueprint = procrastinate.Blueprint()


@blueprint.periodic(cron="* * * * *")
@blueprint.task(
    name="jobs.recover_stalled",
    queue="maintenance",
    queueing_lock="core.recover_stalled",
    pass_context=True,
)
async def recover_stalled(context: procrastinate.JobContext, timestamp: int) -> int:
    """Every minute: jobs left behind by dead workers (`recover_stalled_jobs`)."""
    return await recover_stalled_jobs(context.app)


_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, "
    ":queueing_lock, CAST(:args AS jsonb), :scheduled_at)]::procrastinate_job_to_defer_v1[]))"
)


async def enqueue(
    session: AsyncSession,
    task_name: str,
    *,
    args: dict[str, Any] | None = None,
    queue: str = "default",
    priority: int = 0,
    lock: str | None = None,
    scheduled_at: datetime | None = None,
) -> int:
    """Add a job in the session's transaction; it runs only if the transaction commits."""
    job_id = await session.scalar(
        _DEFER,
        {
            "queue": queue,
            "task": task_name,
            "priority": priority,
            "lock": lock,
            "queueing_lock": None,
            "args": orjson.dumps(args or {}).decode(),
            "scheduled_at": scheduled_at,
        },
    )
    return int(job_id)


_DEFER_ONCE = text("SELECT rastro_defer_once(:queue, :task, :lock, CAST(:args AS jsonb))")


async def enqueue_once(
    session: AsyncSession,
    task_name: str,
    *,
    queueing_lock: str,
    args: dict[str, Any] | None = None,
    queue: str = "default",
) -> None:
    """Make sure a job of `queueing_lock` waits, in the session's transaction: add one
    unless one waits already (`rastro_defer_once`, CRM migration 0009, which database
    functions call too). The queueing lock is also the job's lock: such jobs run one after
    the other."""
    await session.execute(
        _DEFER_ONCE,
        {
            "queue": queue,
            "task": task_name,
            "lock": queueing_lock,
            "args": orjson.dumps(args or {}).decode(),
        },
    )


_JOBS = table("procrastinate_jobs", column("lock"), column("status"))


def job_pending(lock: ColumnElement[str]) -> ColumnElement[bool]:
    """A condition: a job with this lock waits or runs (`todo` or `doing`; a job a dead
    worker left `doing` is given back by `recover_stalled`). A failed job is not pending:
    whoever owns the work decides whether to queue it again."""
    status = cast(_JOBS.c.status, String)  # an enum type of procrastinate's
    return exists().where(_JOBS.c.lock == lock, status.in_(("todo", "doing")))
