"""After an upgrade, the worker's first refresh copies the leads that existed before the
analytics module (no manual step); later refreshes are incremental."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from rastro.analytics.jobs import refresh_all_now
from rastro.analytics.models import ConversionFact, RollupState
from rastro.core.db import Scope
from rastro.core.jobs import JobContext, set_job_context
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site


async def test_the_first_refresh_copies_existing_leads_then_goes_incremental(
    client, databases, settings
):
    site = await make_site(client, databases)
    org = site.account.organization_id
    await make_leads(databases, org, 3, stage="won", stage_value=Decimal("10.00"))
    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        assert await refresh_all_now() >= 1
        async with databases.bi.transaction(Scope.organization(org)) as bi:
            assert await bi.scalar(select(func.count()).select_from(ConversionFact)) == 3
            first = await bi.get(RollupState, org)
        assert first is not None
        await make_leads(databases, org, 1)  # not announced: only the outbox copies it
        await refresh_all_now()
        async with databases.bi.transaction(Scope.organization(org)) as bi:
            assert await bi.scalar(select(func.count()).select_from(ConversionFact)) == 3
        body = (
            await client.get("/api/analytics/overview?preset=today", headers=site.headers)
        ).json()
        assert body["totals"]["won"] == 3
        assert body["totals"]["revenue"] == [{"currency": "BRL", "amount": "30.00"}]
    finally:
        set_job_context(None)
