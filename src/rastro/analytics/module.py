"""The analytics module as the application sees it. Importing it registers its listeners on
the CRM (new leads and stage changes are copied into `conversion_facts`)."""

from __future__ import annotations

from rastro.analytics import cli, demo, jobs, permissions  # noqa: F401  (permissions register)
from rastro.analytics.api import (
    abtests,
    alerts,
    attribution,
    cohorts,
    correlation,
    funnels,
    fx,
    health,
    journeys,
    overview,
    profit,
    reports,
    spend,
    visitors,
)
from rastro.analytics.service import facts  # noqa: F401  (listeners and outbox handler)
from rastro.core.module import Module

MODULE = Module(
    name="analytics",
    routers=[
        overview.router,
        reports.router,
        visitors.router,
        journeys.router,
        cohorts.router,
        attribution.router,
        abtests.router,
        spend.router,
        correlation.router,
        fx.router,
        health.router,
        alerts.router,
        profit.router,
        funnels.router,
    ],
    register_jobs=jobs.register,
    demo=demo.load_demo,
    commands={"analytics": cli.analytics},
)
