"""The privacy module as the application sees it."""

from __future__ import annotations

import procrastinate

from rastro.core.module import Module
from rastro.privacy.retention import api as retention_api
from rastro.privacy.retention import jobs as retention_jobs


def _register_jobs(app: procrastinate.App) -> None:
    retention_jobs.register(app)


MODULE = Module(
    name="privacy",
    routers=[retention_api.router],
    register_jobs=_register_jobs,
)
