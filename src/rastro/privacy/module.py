"""The privacy module as the application sees it. Importing it registers the access
audit's writer with `core.audit` (so audited requests are recorded from then on)."""

from __future__ import annotations

import procrastinate

from rastro.core.module import Module
from rastro.privacy.api import audit as audit_api
from rastro.privacy.api import public, requests
from rastro.privacy.retention import api as retention_api
from rastro.privacy.retention import jobs as retention_jobs
from rastro.privacy.service import audit  # noqa: F401  (registers the audit writer)


def _register_jobs(app: procrastinate.App) -> None:
    retention_jobs.register(app)


MODULE = Module(
    name="privacy",
    routers=[audit_api.router, requests.router, public.router, retention_api.router],
    register_jobs=_register_jobs,
)
