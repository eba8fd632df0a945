"""The e-mail module as the application sees it."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.email import api, event_models, jobs, models, permissions, system  # noqa: F401

MODULE = Module(name="email", routers=api.routers, register_jobs=jobs.register)
