"""The CRM module as the application sees it."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.crm import models, permissions  # noqa: F401  (tables and permissions register)
from rastro.crm.webhook_api import webhook_admin_router
from rastro.crm.webhooks import webhooks_router

MODULE = Module(name="crm", routers=[webhooks_router, webhook_admin_router])
