"""Background work of the auth module."""

from __future__ import annotations

from datetime import timedelta

import procrastinate
import structlog

from rastro.auth.service import sign_in
from rastro.core import personal_rotation
from rastro.core.db import SYSTEM
from rastro.core.jobs import job_context

blueprint = procrastinate.Blueprint()
logger = structlog.get_logger(__name__)


@blueprint.periodic(cron="17 * * * *")
@blueprint.task(name="auth.purge_expired", queue="maintenance", queueing_lock="auth.purge_expired")
async def purge_expired(timestamp: int) -> int:
    """Delete expired sign-in sessions and login attempts older than a week (hourly)."""
    async with job_context().databases.crm.transaction(SYSTEM) as session:
        return await sign_in.purge_expired(session, login_attempts_older_than=timedelta(days=7))


@blueprint.task(
    name="auth.rotate_personal_data",
    queue="maintenance",
    queueing_lock="auth.rotate_personal_data",
)
async def rotate_personal_data(batch: int = personal_rotation.DEFAULT_BATCH) -> int:
    """Re-encrypt the personal data sealed under an older key (what `rastro keys rotate`
    does, as a job): batches of `batch` rows, each its own transaction, progress logged."""

    def progress(table: str, done: int) -> None:
        logger.info("personal_data_reencrypted", table=table, rows=done)

    report = await personal_rotation.rotate(
        job_context().databases.crm, batch=batch, progress=progress
    )
    return report.total


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="auth")
