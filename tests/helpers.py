"""Helpers shared by tests of several modules."""

from __future__ import annotations

from rastro.cli import build_job_app
from rastro.config import Settings
from rastro.core.db import Databases
from rastro.core.jobs import JobContext, set_job_context


async def drain_jobs(
    settings: Settings, databases: Databases, queues: list[str] | None = None
) -> None:
    """Run every queued job to completion, as `rastro worker` would, then return."""
    app = build_job_app(settings)
    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        async with app.open_async():
            await app.run_worker_async(queues=queues, wait=False, install_signal_handlers=False)
    finally:
        set_job_context(None)


def drain_jobs_in_thread(settings: Settings, queues: list[str], timeout: float = 120) -> None:
    """`drain_jobs` in a thread with its own event loop and connections, for browser tests
    (Playwright's sync API owns the test thread's loop); its error is raised here."""
    import asyncio
    import threading

    from rastro.runtime import make_databases

    async def run() -> None:
        databases = make_databases(settings)
        try:
            await drain_jobs(settings, databases, queues=queues)
        finally:
            await databases.dispose()

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=timeout)
    assert not thread.is_alive(), f"the {queues} queue(s) did not drain"
    if errors:
        raise errors[0]
