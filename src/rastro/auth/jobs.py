"""Background work of the auth module."""

from __future__ import annotations

from datetime import timedelta

import procrastinate

from rastro.auth.service import sign_in
from rastro.core.db import SYSTEM
from rastro.core.jobs import job_context

blueprint = procrastinate.Blueprint()


@blueprint.periodic(cron="17 * * * *")
@blueprint.task(name="auth.purge_expired", queue="maintenance", queueing_lock="auth.purge_expired")
async def purge_expired(timestamp: int) -> int:
    """Delete expired sign-in sessions and login attempts older than a week (hourly)."""
    async with job_context().databases.crm.transaction(SYSTEM) as session:
        return await sign_in.purge_expired(session, login_attempts_older_than=timedelta(days=7))


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="auth")
