"""The payments of the funnels as the application sees them (until the funnels module
lists them as its own): the routers and jobs. Importing it registers the listeners that
turn a sale into a lead and a purchase conversion, and a PIX into the e-mail sequences'
recovery enrollments."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.funnels.payments import api, jobs, permissions  # noqa: F401
from rastro.funnels.payments.service import (
    outcomes,  # noqa: F401  (registers queue_sale)
    recovery,  # noqa: F401  (registers its listener)
)

MODULE = Module(
    name="payments",
    routers=[api.router, api.webhooks_router],
    register_jobs=jobs.register,
)
