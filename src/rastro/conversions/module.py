"""The conversions module as the application sees it. Importing it registers the
pipeline listener that turns a `won` lead into a conversion."""

from __future__ import annotations

from rastro.conversions import api, connect_api, demo, jobs, permissions, sandbox  # noqa: F401
from rastro.conversions.service import records  # noqa: F401  (registers create_on_won)
from rastro.core.module import Module

MODULE = Module(
    name="conversions",
    routers=[api.router, connect_api.router, sandbox.router],
    register_jobs=jobs.register,
    demo=demo.load_demo,
)
