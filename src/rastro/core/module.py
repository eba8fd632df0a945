"""What a domain module hands to the application: its router, jobs, CLI and demo data.

A module package (`rastro.<name>`) exposes `MODULE = Module(...)` in its `module.py`;
`rastro.modules` lists the enabled packages. Adding a module touches neither `core` nor
`app.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import procrastinate
    import typer
    from fastapi import APIRouter
    from starlette.routing import BaseRoute

    from rastro.core.db import Databases
    from rastro.core.live import LiveTopic


@dataclass(frozen=True)
class Module:
    name: str
    routers: list[APIRouter] = field(default_factory=list)
    # Matched before every router (after the health checks): a high-traffic public endpoint
    # does not wait behind the other modules' routes (see `rastro.core.routing`).
    hot_routes: list[BaseRoute] = field(default_factory=list)
    register_jobs: Callable[[procrastinate.App], None] | None = None
    # Sub-commands of `rastro`, by name (e.g. {"users": users_app}).
    commands: dict[str, typer.Typer] = field(default_factory=dict)
    # Loads demo data into the new demo organization; returns a line to print.
    demo: Callable[[DemoContext], Awaitable[str | None]] | None = None
    # Live rooms clients join by id (`join_<name>`; e.g. a funnel's monitor).
    live_topics: tuple[LiveTopic, ...] = ()


@dataclass(frozen=True)
class DemoContext:
    databases: Databases
    organization_id: uuid.UUID
    secret_key: str
    base_url: str
    # The vault's key, for demo credentials (empty: a module leaves credentials out).
    encryption_key: str = ""
