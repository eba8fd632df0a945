"""`rastro demo` fills the reports: the demo leads reach `conversion_facts` and the rollups
answer the Overview with the same numbers as the raw tables."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from rastro.analytics.demo import load_demo as load_analytics_demo
from rastro.auth.demo import ensure_demo_admin
from rastro.core.db import Scope
from rastro.core.module import DemoContext
from rastro.crm.demo import load_demo as load_crm_demo
from rastro.crm.models import Lead
from rastro.tracking.demo import load_demo as load_tracking_demo
from rastro.tracking.models import TrackedSession


async def test_demo_fills_the_overview(databases, settings, client):
    email, password, organization_id = await ensure_demo_admin(databases)
    context = DemoContext(databases, organization_id, settings.secret_key_value, "http://x")
    started = time.monotonic()
    await load_tracking_demo(context, days=20, sessions_per_day=8)
    await load_crm_demo(context, leads=30)
    line = await load_analytics_demo(context)
    assert line == "Analytics: 30 leads in the reports, rollups built."
    assert time.monotonic() - started < 120
    async with databases.crm.transaction(Scope.organization(organization_id)) as s:
        won = await s.scalar(select(func.count()).where(Lead.current_stage == "won"))
    async with databases.bi.transaction(Scope.organization(organization_id)) as s:
        humans = await s.scalar(
            select(func.count()).select_from(TrackedSession).where(TrackedSession.is_bot.is_(False))
        )
    login = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    headers = {"authorization": f"Bearer {login.json()['access_token']}"}
    body = (await client.get("/api/analytics/overview?preset=last_90_days", headers=headers)).json()
    assert body["totals"]["sessions"] == humans
    assert body["totals"]["leads"] == 30
    assert body["totals"]["won"] == won
    assert len(body["by_channel"]) >= 4
