"""The CRM module as the application sees it."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.crm import capture_api, jobs, permissions  # noqa: F401  (permissions register)

MODULE = Module(name="crm", routers=[capture_api.router])
