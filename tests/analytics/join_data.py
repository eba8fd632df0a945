"""Data of the spend ↔ visits join and correlation tests: spend rows stored as the importer
stores them, touches with crafted campaign parameters, leads credited to those touches."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from rastro.analytics.service import spend, spend_join
from rastro.analytics.service.spend import RowOrigin
from rastro.analytics.spend.base import SpendRow
from rastro.core.db import Databases, Scope
from rastro.tracking.models import UtmTracking
from tests.analytics.factories import Visit, add_visits
from tests.crm.factories import make_leads


def ad_row(
    day: date,
    campaign: tuple[str, str | None],
    ad: tuple[str, str | None],
    spend_amount: str,
    *,
    ad_set: tuple[str, str | None] | None = None,
    currency: str = "BRL",
    **figures: Any,
) -> SpendRow:
    """One ad's day: (id, name) of its campaign, ad and ad set."""
    return SpendRow(
        campaign_id=campaign[0],
        campaign_name=campaign[1],
        ad_set_id=ad_set[0] if ad_set else None,
        ad_set_name=ad_set[1] if ad_set else None,
        ad_id=ad[0],
        ad_name=ad[1],
        day=day,
        spend=Decimal(spend_amount),
        currency=currency,
        **figures,
    )


async def store_spend(
    databases: Databases,
    organization_id: uuid.UUID,
    platform: str,
    account_id: str,
    rows: list[SpendRow],
) -> None:
    """Store rows as an import of the account does (names and their history included)."""
    origin = RowOrigin(
        organization_id=organization_id,
        platform=platform,
        account_id=account_id,
        timezone="America/Sao_Paulo",
        import_id=None,
        source="api",
    )
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        await spend.store_rows(bi, origin, rows)


async def touch(
    databases: Databases, organization_id: uuid.UUID, domain_id: uuid.UUID, visit: Visit
) -> uuid.UUID:
    """Store a visit; returns its touch's id (to credit a lead to it)."""
    [session_id] = await add_visits(databases, organization_id, domain_id, [visit])
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        found = await bi.scalar(
            select(UtmTracking.tracking_id).where(UtmTracking.session_id == session_id)
        )
    assert found is not None
    return found


async def lead_on(
    databases: Databases,
    organization_id: uuid.UUID,
    tracking_id: uuid.UUID,
    visitor_id: str,
    created_at: datetime,
    *,
    stage: str = "new",
    value: str | None = None,
    **fields: Any,
) -> uuid.UUID:
    """One lead whose credited touch is `tracking_id`; returns its id."""
    [lead] = await make_leads(
        databases,
        organization_id,
        1,
        stage=stage,
        stage_value=Decimal(value) if value is not None else None,
        visitor_id=visitor_id,
        created_at=created_at,
        utm_tracking_id=tracking_id,
        **fields,
    )
    return lead.lead_id


async def resolved_by_campaign(
    databases: Databases, organization_id: uuid.UUID
) -> dict[tuple[str | None, str | None, str | None], Any]:
    """The join's answer for every stored combination, by (campaign, content, term)."""
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        await spend_join.refresh_combinations(bi, organization_id)
        combos = spend_join.stored_combinations().cte("combos")
        resolved = spend_join.resolve(combos).subquery()
        rows = await bi.execute(
            select(combos.c.campaign, combos.c.content, combos.c.term, resolved).outerjoin(
                resolved, resolved.c.combination_key == combos.c.combination_key
            )
        )
        return {(r.campaign, r.content, r.term): r for r in rows}
