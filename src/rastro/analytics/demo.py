"""Demo analytics: the demo leads copied into `conversion_facts` and the rollups built, so
every report has numbers the moment the demo opens."""

from __future__ import annotations

from rastro.analytics.service import upkeep
from rastro.core.module import DemoContext
from rastro.core.units import TransactionBoundary


async def load_demo(context: DemoContext) -> str:
    databases = context.databases
    await upkeep.refresh_organization(
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        context.organization_id,
        full=True,
    )
    return "Analytics: leads copied into the reports, rollups built."
