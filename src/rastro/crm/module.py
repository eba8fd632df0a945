"""The CRM module as the application sees it."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.crm import api, capture_api, destinations_api, jobs, models, permissions  # noqa: F401
from rastro.crm.webhook_api import webhook_admin_router
from rastro.crm.webhooks import webhooks_router

MODULE = Module(
    name="crm",
    routers=[
        api.router,
        capture_api.router,
        webhooks_router,
        webhook_admin_router,
        destinations_api.router,
    ],
    register_jobs=jobs.register,
)
