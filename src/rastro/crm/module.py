"""The CRM module as the application sees it."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.crm import (  # noqa: F401  (permissions register; jobs: the outbox handler)
    api,
    capture_api,
    demo,
    jobs,
    permissions,
    settings_api,
)

MODULE = Module(
    name="crm",
    routers=[api.router, settings_api.router],
    hot_routes=capture_api.capture_routes,
    demo=demo.load_demo,
)
