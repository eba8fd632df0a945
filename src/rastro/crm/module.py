"""The CRM module as the application sees it."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.crm import api, models, permissions  # noqa: F401  (tables and permissions register)

MODULE = Module(name="crm", routers=[api.router])
