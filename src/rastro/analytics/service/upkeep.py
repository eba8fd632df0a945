"""Bringing one organization's analytics up to date: the first time (or when asked for a
full refresh) every lead is copied into `conversion_facts` before the rollups are rebuilt,
so an upgrade or a restore needs no manual step."""

from __future__ import annotations

import uuid

from rastro.analytics.service import (
    fact_targets,
    facts,
    lead_costs,
    rollup_refresh,
    rollups,
    spend_join,
)
from rastro.auth.service import accounts
from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary


async def refresh_organization(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    organization_id: uuid.UUID,
    *,
    full: bool = False,
) -> rollup_refresh.RefreshResult:
    """Refresh the organization's rollups (copying every lead first when `full` or never
    refreshed), the touch combinations of the spend join, the leads' ad attribution and
    the targets of the leads' combinations; the copy and the refresh commit on their own
    (a full refresh's `session_facts` copy and staged rollups before it)."""
    scope = Scope.organization(organization_id)
    async with crm.unit(scope) as session:
        organization = await accounts.get_organization(session, organization_id)
    async with bi.unit(scope) as session:
        never = not await rollups.has_rollups(session)
    if full or never:
        await facts.rebuild_facts(crm, bi, organization_id)
    async with bi.unit(scope) as session:
        # A full refresh stages the rollups on side connections of `bi`, two at once.
        result = await rollup_refresh.refresh(
            session,
            organization_id,
            timezone=organization.timezone,
            full=full or never,
            side=bi,
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
        # Last: its lock is held to the commit (writers of names and mappings wait on it).
        await fact_targets.store(session, organization_id)
        return result
