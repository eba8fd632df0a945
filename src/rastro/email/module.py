"""The e-mail module as the application sees it."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.email import (  # noqa: F401
    api,
    click_models,
    event_models,
    jobs,
    models,
    permissions,
    sequence_models,
    system,
)

MODULE = Module(
    name="email",
    routers=api.routers,
    hot_routes=api.public.click_routes,
    register_jobs=jobs.register,
)
