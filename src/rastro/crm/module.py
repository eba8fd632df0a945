"""The CRM module as the application sees it."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.crm import (  # noqa: F401  (permissions register)
    api,
    capture_api,
    demo,
    destinations_api,
    jobs,
    permissions,
    settings_api,
)
from rastro.crm.webhook_api import webhook_admin_router
from rastro.crm.webhooks import webhooks_router

MODULE = Module(
    name="crm",
    routers=[
        api.router,
        settings_api.router,
        webhooks_router,
        webhook_admin_router,
        destinations_api.router,
    ],
    hot_routes=capture_api.capture_routes,
    register_jobs=jobs.register,
    demo=demo.load_demo,
)
