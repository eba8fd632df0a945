"""The payments of the funnels as the application sees them (until the funnels module
lists them as its own): the routers and jobs (among them the sale job, which turns a sale
into a lead and a purchase conversion). Importing it registers the listener that turns a
PIX into the e-mail sequences' recovery enrollments."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.funnels.payments import api, jobs, permissions  # noqa: F401
from rastro.funnels.payments.service import recovery  # noqa: F401  (registers its listener)

MODULE = Module(
    name="payments",
    hot_routes=api.webhook_routes,
    routers=[api.router, api.webhooks_router],
    register_jobs=jobs.register,
)
