"""The CRM module as the application sees it."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.crm import (  # noqa: F401  (models, permissions: tables and permissions register)
    destinations_api,
    jobs,
    models,
    permissions,
)

MODULE = Module(name="crm", routers=[destinations_api.router], register_jobs=jobs.register)
