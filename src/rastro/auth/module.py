"""The auth module as the application sees it."""

from __future__ import annotations

from rastro.auth import api, cli, invitations_api, jobs, password_reset_api
from rastro.core.module import Module

MODULE = Module(
    name="auth",
    routers=[
        invitations_api.auth_router,
        password_reset_api.router,
        api.auth_router,
        api.router,
        invitations_api.router,
    ],
    register_jobs=jobs.register,
    commands={"users": cli.users, "keys": cli.keys},
)
