"""The tracking module as the application sees it."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.tracking import api, demo, jobs, reads_api

MODULE = Module(
    name="tracking",
    hot_routes=api.collector_routes,
    routers=[api.public, api.router, reads_api.router],
    register_jobs=jobs.register,
    demo=demo.load_demo,
)
