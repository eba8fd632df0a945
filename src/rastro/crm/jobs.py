"""Background work of the CRM module: pushing leads to destinations."""

from __future__ import annotations

import uuid

import procrastinate

from rastro.core.jobs import job_context
from rastro.core.security import Keyring
from rastro.crm.service import destinations, pushes


async def push_lead(log_id: str, retries_left: int = 0) -> str:
    """Make one push attempt (an integrations_log row); transient failures queue the next."""
    context = job_context()
    settings = context.settings
    return await pushes.run_push(
        context.databases,
        Keyring(settings.encryption_key_value),
        uuid.UUID(log_id),
        retries_left=retries_left,
        call_timeout=settings.crm_push_timeout_seconds,
        retry_base_seconds=settings.crm_push_retry_base_seconds,
    )


def register(app: procrastinate.App) -> None:
    # A fresh blueprint per job app: `add_tasks_from` prefixes the namespace onto the
    # blueprint's task objects in place, so a shared module-level blueprint registered into
    # a second app (tests build one per drain) would become `crm:crm:push_lead`.
    blueprint = procrastinate.Blueprint()
    # Registered as `crm:push_lead`, the name `destinations.PUSH_TASK` queues it under.
    blueprint.task(name="push_lead", queue=destinations.PUSH_QUEUE)(push_lead)
    app.add_tasks_from(blueprint, namespace="crm")
