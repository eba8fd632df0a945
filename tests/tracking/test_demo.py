"""The demo data goes through the real collector and gives the pages something to show."""

from __future__ import annotations

from sqlalchemy import func, select

from rastro.auth.demo import ensure_demo_admin
from rastro.core.db import Scope
from rastro.core.module import DemoContext
from rastro.tracking.demo import load_demo
from rastro.tracking.models import (
    AbTest,
    Event,
    LandingPage,
    PageView,
    TrackedSession,
    UtmTracking,
)


async def test_demo_loads_a_month_of_traffic_for_two_domains(databases, settings):
    email, _, organization_id = await ensure_demo_admin(databases)
    assert email.endswith("@demo.rastro.local")
    assert await ensure_demo_admin(databases) is None
    line = await load_demo(
        DemoContext(databases, organization_id, settings.secret_key_value, "http://x"),
        days=30,
        sessions_per_day=6,
    )
    assert "180 sessions" in line
    async with databases.bi.transaction(Scope.organization(organization_id)) as s:
        sessions = await s.scalar(select(func.count()).select_from(TrackedSession))
        domains = await s.scalar(select(func.count(func.distinct(TrackedSession.domain_id))))
        channels = set(await s.scalars(select(func.distinct(UtmTracking.channel))))
        views = await s.scalar(select(func.count()).select_from(PageView))
        events = await s.scalar(select(func.count()).select_from(Event))
        returning = await s.scalar(select(func.count()).where(TrackedSession.return_visits > 0))
        span = await s.scalar(
            select(func.max(TrackedSession.started_at) - func.min(TrackedSession.started_at))
        )
    assert sessions == 180
    assert domains == 2
    assert {"Paid Search", "Paid Social", "Organic Search", "Direct", "Email"} <= channels
    assert views >= sessions
    assert events > 0
    assert returning > 0
    assert span.days >= 28
    async with databases.crm.transaction(Scope.organization(organization_id)) as s:
        (test,) = list(await s.scalars(select(AbTest)))
        variants = list(
            await s.scalars(select(LandingPage).where(LandingPage.ab_test_id == test.ab_test_id))
        )
    assert sorted((v.page_variant, v.is_control) for v in variants) == [("A", True), ("B", False)]
    async with databases.bi.transaction(Scope.organization(organization_id)) as s:
        seen = await s.scalar(
            select(func.count(func.distinct(PageView.page_id))).where(
                PageView.page_id.in_([v.page_id for v in variants])
            )
        )
    assert seen == 2  # the demo traffic visits both variants
