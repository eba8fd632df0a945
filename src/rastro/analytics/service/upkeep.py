"""Bringing one organization's analytics up to date: the first time (or when asked for a
full refresh) every lead is copied into `conversion_facts` before the rollups are rebuilt,
so an upgrade or a restore needs no manual step."""

from __future__ import annotations

import uuid

from rastro.analytics.service import facts, lead_costs, rollups, spend_join
from rastro.auth.service import accounts
from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary


async def refresh_organization(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    organization_id: uuid.UUID,
    *,
    full: bool = False,
) -> rollups.RefreshResult:
    """Refresh the organization's rollups (copying every lead first when `full` or never
    refreshed), the touch combinations of the spend join and the leads' ad attribution;
    the copy and the refresh commit on their own."""
    scope = Scope.organization(organization_id)
    async with crm.unit(scope) as session:
        organization = await accounts.get_organization(session, organization_id)
    async with bi.unit(scope) as session:
        never = not await rollups.has_rollups(session)
    if full or never:
        await facts.rebuild_facts(crm, bi, organization_id)
    async with bi.unit(scope) as session:
        result = await rollups.refresh(
            session, organization_id, timezone=organization.timezone, full=full or never
        )
        # The touches' parameter combinations that the join to ad spend resolves.
        await spend_join.refresh_combinations(session, organization_id)
        # seed 003 lead_attribution: the leads' campaign, ad set, ad, CPA and ROAS.
        await lead_costs.attribute_leads(
            session,
            since=None if full or never else result.through - lead_costs.RESTATED,
            timezone=organization.timezone,
            currency=organization.currency,
        )
        return result
