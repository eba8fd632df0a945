"""The job worker: procrastinate's worker, run again whenever the database comes back.

procrastinate stops its worker when the database goes away: a side task (the LISTEN
connection, the heartbeat) fails, it logs "Side task … failed …, stopping worker" and
returns as if it had been asked to stop, or the job fetch raises. `run_worker` then waits
for the database, trying to connect with backoff, and runs the worker again. It returns
when SIGINT or SIGTERM asks it to (after the running jobs end; a second signal ends the
process at once), and raises `WorkerStopped` on a failure that waiting does not cure.
Jobs a lost worker left in `doing` are given back by `core.jobs.recover_stalled`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterable, Iterator

import procrastinate
import psycopg
import structlog
from procrastinate.app import WorkerOptions

from rastro.core.availability import backoff_delays, is_database_unavailable

log = structlog.get_logger(__name__)

# A worker that ran this long before it lost the database starts its backoff afresh.
_STEADY_SECONDS = 60.0
_CONNECT_TIMEOUT_SECONDS = 5


class WorkerStopped(RuntimeError):
    """The worker stopped by itself for a reason other than the database being away."""


class _SideTaskFailure(logging.Handler):
    """Keeps the error procrastinate logs when one of its worker's side tasks fails: the
    worker then returns as if asked to stop, and this is how we learn why."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.error: BaseException | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "action", None) == "side_task_failed" and record.exc_info:
            self.error = record.exc_info[1]


async def run_worker(
    app: procrastinate.App,
    *,
    conninfo: str,
    queues: Iterable[str] | None = None,
    concurrency: int = 1,
    delays: Callable[[], Iterator[float]] = backoff_delays,
) -> None:
    """Run `app`'s worker until SIGINT/SIGTERM, again after each database outage;
    `conninfo` is the database the queue lives in (probed while waiting for it)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    current: asyncio.Task[None] | None = None

    def request_stop() -> None:
        stop.set()
        for number in (signal.SIGINT, signal.SIGTERM):  # a second signal ends it at once
            loop.remove_signal_handler(number)
        if current is not None:
            current.cancel()  # procrastinate's worker stops taking jobs, lets running ones end

    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, request_stop)
    side_tasks = _SideTaskFailure()
    procrastinate_log = logging.getLogger("procrastinate.worker")
    procrastinate_log.addHandler(side_tasks)
    waits = delays()
    try:
        while not stop.is_set():
            side_tasks.error = None
            started = loop.time()
            current = asyncio.create_task(_run_once(app, queues, concurrency))
            error: BaseException | None
            try:
                await current
                error = side_tasks.error
            except asyncio.CancelledError:
                if stop.is_set() and current.cancelled():
                    break
                raise
            except Exception as exc:
                error = exc
            if stop.is_set():
                break
            if not is_database_unavailable(error):
                raise WorkerStopped("the job worker stopped and cannot go on") from error
            log.warning("worker_database_unavailable", error=type(error).__name__)
            if loop.time() - started > _STEADY_SECONDS:
                waits = delays()
            await _wait_for_database(conninfo, stop, waits)
    finally:
        procrastinate_log.removeHandler(side_tasks)
        if not stop.is_set():
            for number in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(number)


async def _run_once(app: procrastinate.App, queues: Iterable[str] | None, concurrency: int) -> None:
    """One life of procrastinate's worker, on a connection pool of its own."""
    options: WorkerOptions = {"concurrency": concurrency, "install_signal_handlers": False}
    if queues is not None:  # procrastinate's default: every queue
        options["queues"] = queues
    async with app.open_async():
        await app.run_worker_async(**options)


async def _wait_for_database(conninfo: str, stop: asyncio.Event, waits: Iterator[float]) -> None:
    """Return once a connection to the database succeeds, or when asked to stop."""
    attempts = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), next(waits))
        if stop.is_set():
            return
        attempts += 1
        try:
            connection = await psycopg.AsyncConnection.connect(
                conninfo, connect_timeout=_CONNECT_TIMEOUT_SECONDS
            )
        except psycopg.OperationalError as exc:
            log.warning("worker_waiting_for_database", attempts=attempts, error=type(exc).__name__)
            continue
        await connection.close()
        log.info("worker_database_back", attempts=attempts)
        return
