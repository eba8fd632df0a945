"""`rastro demo` leaves a pipeline to look at: leads from the demo traffic in every stage."""

from __future__ import annotations

from sqlalchemy import func, select

from rastro.auth.demo import ensure_demo_admin
from rastro.core.db import Scope
from rastro.core.module import DemoContext
from rastro.crm.demo import load_demo as load_crm_demo
from rastro.crm.models import Deal, Lead, LeadStage, Note, Task
from rastro.tracking.demo import load_demo as load_tracking_demo


async def test_demo_leads_are_attributed_and_spread_over_the_pipeline(databases, settings):
    _, _, organization_id = await ensure_demo_admin(databases)
    context = DemoContext(databases, organization_id, settings.secret_key_value, "http://x")
    await load_tracking_demo(context, days=30, sessions_per_day=6)
    line = await load_crm_demo(context, leads=40)
    assert line.startswith("CRM: 40 leads")
    async with databases.crm.transaction(Scope.organization(organization_id)) as s:
        rows = await s.execute(
            select(Lead.current_stage, func.count()).group_by(Lead.current_stage)
        )
        stages = {stage: count for stage, count in rows}
        attributed = await s.scalar(
            select(func.count()).where(Lead.attribution_status == "attributed")
        )
        won = (await s.scalars(select(Lead).where(Lead.current_stage == "won").limit(1))).first()
        deals = await s.scalar(select(func.count()).select_from(Deal))
        tasks = await s.scalar(select(func.count()).select_from(Task))
        notes = await s.scalar(select(func.count()).select_from(Note))
        history = (
            list(
                await s.scalars(
                    select(LeadStage.stage_name)
                    .where(LeadStage.lead_id == won.lead_id)
                    .order_by(LeadStage.created_at)
                )
            )
            if won
            else []
        )
    assert sum(stages.values()) == 40
    assert {"new", "qualified", "won"} <= set(stages)
    assert attributed == 40
    assert history == ["new", "qualified", "proposal", "negotiation", "won"]
    assert deals > 0
    assert tasks > 0
    assert notes > 0
