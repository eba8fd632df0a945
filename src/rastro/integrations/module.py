"""The integrations module as the application sees it. Importing it registers its
listeners on the CRM (a new lead's and a stage change's pushes, the lead page's push
history): the CRM announces, it never imports this module."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.integrations import api, jobs
from rastro.integrations.service import destinations, pushes  # noqa: F401  (listeners)

MODULE = Module(
    name="integrations",
    routers=[api.webhooks_router, api.webhook_admin_router, api.router],
    register_jobs=jobs.register,
)
