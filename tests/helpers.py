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
