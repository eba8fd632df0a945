"""Demo analytics: the demo leads copied into `conversion_facts` and the rollups built, so
every report has numbers the moment the demo opens."""

from __future__ import annotations

from rastro.analytics.service import facts, rollups
from rastro.core.db import Scope
from rastro.core.module import DemoContext
from rastro.core.units import TransactionBoundary


async def load_demo(context: DemoContext) -> str:
    databases = context.databases
    copied = await facts.rebuild_facts(
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        context.organization_id,
    )
    async with databases.bi.transaction(Scope.organization(context.organization_id)) as bi:
        await rollups.refresh(bi, context.organization_id, full=True)
    return f"Analytics: {copied} leads in the reports, rollups built."
