"""Lead outcomes reach `conversion_facts` through the outbox however many leads the
gathered messages name (PostgreSQL takes at most 65,535 parameters per statement)."""

from __future__ import annotations

from sqlalchemy import func, select

from rastro.analytics.models import ConversionFact
from rastro.analytics.service import facts
from rastro.core import outbox
from rastro.core.db import SYSTEM, Scope
from tests.crm.factories import make_leads
from tests.helpers import drain_jobs
from tests.tracking.factories import make_site

# One statement for all of these would need 2,100 x 32 parameters.
MANY = 2_100


async def test_thousands_of_leads_in_one_delivery_are_all_copied(client, databases, settings):
    site = await make_site(client, databases)
    org = site.account.organization_id
    leads = await make_leads(databases, org, MANY)
    async with databases.crm.transaction(Scope.organization(org)) as crm:
        # As a fast capture's gathered messages (or an import) name them: in one delivery.
        for start in range(0, MANY, 700):
            ids = [str(lead.lead_id) for lead in leads[start : start + 700]]
            await outbox.publish(crm, org, facts.LEADS_CHANGED, {"lead_ids": ids})
    await drain_jobs(settings, databases, queues=["outbox"])

    async with databases.bi.transaction(Scope.organization(org)) as bi:
        copied = await bi.scalar(select(func.count()).select_from(ConversionFact))
    async with databases.crm.transaction(SYSTEM) as crm:
        pending = await crm.scalar(
            select(func.count())
            .select_from(outbox.OutboxMessage)
            .where(outbox.OutboxMessage.delivered_at.is_(None))
        )
    assert copied == MANY
    assert pending == 0
