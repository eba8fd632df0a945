"""Background work of the integrations module: one push attempt per job."""

from __future__ import annotations

import uuid

import procrastinate

from rastro.core.jobs import job_context
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.integrations.service import destinations, pushes

blueprint = procrastinate.Blueprint()


@blueprint.task(name="push_lead", queue=destinations.PUSH_QUEUE)
async def push_lead(log_id: str, retries_left: int = 0) -> str:
    """Make one push attempt (an integrations_log row); transient failures queue the next."""
    context = job_context()
    settings = context.settings
    return await pushes.run_push(
        TransactionBoundary(context.databases.crm),  # the attempt and its outcome commit apart
        Keyring(settings.encryption_key_value),
        uuid.UUID(log_id),
        retries_left=retries_left,
        call_timeout=settings.crm_push_timeout_seconds,
        retry_base_seconds=settings.crm_push_retry_base_seconds,
    )


def register(app: procrastinate.App) -> None:
    # Registered as `crm:push_lead` (`destinations.PUSH_TASK`): the name queued jobs carry
    # from before this module was carved out of the CRM.
    app.add_tasks_from(blueprint, namespace="crm")
