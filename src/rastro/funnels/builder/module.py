"""The funnels as the application sees them: the API routers and the public step pages."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.funnels.builder import api, demo, permissions  # noqa: F401
from rastro.funnels.builder.public import page_cache, render
from rastro.funnels.builder.public import routes as public_routes

render.precompile()  # the public pages' templates, compiled once at start-up

MODULE = Module(
    name="funnels",
    routers=[api.router, api.checkout_router, api.pixels_router, public_routes.router],
    demo=demo.load_demo,
    # A public step page this process keeps, served before any other route (`page_cache`).
    hot_routes=[page_cache.PageRoute()],
)
