"""The organization's mapping of UTM values to platform campaigns (the join's last rule),
and what the join leaves out: spend that no touch reaches, and tagged touches that reach no
campaign, side by side, so that the user can map them."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from rastro.analytics import correlation_schemas as schemas
from rastro.analytics.ad_models import Ad, AdCampaign, AdSet, CampaignMetric, SpendMapping
from rastro.analytics.schemas import Money
from rastro.analytics.service import spend_join
from rastro.analytics.service.overview import Scope, report_range
from rastro.core.errors import NotFound, UnprocessableEntity
from rastro.core.ids import uuid7

UNMAPPED_LIMIT = 200


def _normal(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def utm_key(mapping: schemas.SpendMappingIn) -> str:
    """The mapping's UTM values as one comparable key."""
    values = (mapping.utm_source, mapping.utm_campaign, mapping.utm_content, mapping.utm_term)
    return "\x1f".join(_normal(v) or "" for v in values)


def _invalid(index: int, field: str, message: str) -> UnprocessableEntity:
    return UnprocessableEntity(
        "The mapping's target is not an imported campaign, ad set or ad.",
        details=[{"loc": f"body.mappings.{index}.{field}", "message": message, "type": "target"}],
    )


async def _account_of(bi: AsyncSession, index: int, mapping: schemas.SpendMappingIn) -> str:
    """The mapping's ad account, checked: its campaign (ad set, ad) must have been imported."""
    accounts = list(
        await bi.scalars(
            select(AdCampaign.account_id).where(
                AdCampaign.platform == mapping.platform,
                AdCampaign.campaign_id == mapping.campaign_id,
                *(
                    [AdCampaign.account_id == mapping.account_id]
                    if mapping.account_id is not None
                    else []
                ),
            )
        )
    )
    if not accounts:
        raise _invalid(index, "campaign_id", "an imported campaign of this platform")
    if len(accounts) > 1:
        raise _invalid(index, "account_id", "the campaign id is in several accounts: give one")
    account = accounts[0]
    if mapping.ad_set_id is not None:
        found = await bi.scalar(
            select(AdSet.ad_set_id).where(
                AdSet.platform == mapping.platform,
                AdSet.account_id == account,
                AdSet.ad_set_id == mapping.ad_set_id,
                AdSet.campaign_id == mapping.campaign_id,
            )
        )
        if found is None:
            raise _invalid(index, "ad_set_id", "an ad set of the campaign")
    if mapping.ad_id is not None:
        ad = await bi.scalar(
            select(Ad).where(
                Ad.platform == mapping.platform,
                Ad.account_id == account,
                Ad.ad_id == mapping.ad_id,
                Ad.campaign_id == mapping.campaign_id,
            )
        )
        if ad is None or (mapping.ad_set_id is not None and ad.ad_set_id != mapping.ad_set_id):
            raise _invalid(index, "ad_id", "an ad of the campaign (and ad set)")
    return account


async def list_mappings(bi: AsyncSession) -> list[schemas.SpendMapping]:
    """The organization's mappings with their campaign's current name."""
    m, c = SpendMapping, AdCampaign
    rows = await bi.execute(
        select(m, c.name)
        .outerjoin(
            c,
            and_(
                c.platform == m.platform,
                c.account_id == m.account_id,
                c.campaign_id == m.campaign_id,
            ),
        )
        .order_by(m.utm_campaign, m.utm_content, m.utm_term, m.utm_source, m.id)
    )
    return [
        schemas.SpendMapping(
            id=mapping.id,
            utm_source=mapping.utm_source,
            utm_campaign=mapping.utm_campaign,
            utm_content=mapping.utm_content,
            utm_term=mapping.utm_term,
            platform=mapping.platform,
            account_id=mapping.account_id,
            campaign_id=mapping.campaign_id,
            campaign_name=name,
            ad_set_id=mapping.ad_set_id,
            ad_id=mapping.ad_id,
            updated_at=mapping.updated_at,
        )
        for mapping, name in rows
    ]


async def put_mappings(
    bi: AsyncSession, organization_id: uuid.UUID, body: schemas.SpendMappingsPut
) -> list[schemas.SpendMapping]:
    """Save mappings (each replaces the one with the same UTM values); 422 when a target
    was never imported. Returns every mapping of the organization."""
    rows = {}
    for index, mapping in enumerate(body.mappings):
        account = await _account_of(bi, index, mapping)
        key = utm_key(mapping)
        rows[key] = {
            "id": uuid7(),
            "organization_id": organization_id,
            "utm_key": key,
            "utm_source": _normal(mapping.utm_source),
            "utm_campaign": _normal(mapping.utm_campaign),
            "utm_content": _normal(mapping.utm_content),
            "utm_term": _normal(mapping.utm_term),
            "platform": mapping.platform,
            "account_id": account,
            "campaign_id": mapping.campaign_id,
            "ad_set_id": mapping.ad_set_id,
            "ad_id": mapping.ad_id,
        }
    statement = insert(SpendMapping).values(list(rows.values()))
    targets = ("platform", "account_id", "campaign_id", "ad_set_id", "ad_id")
    await bi.execute(
        statement.on_conflict_do_update(
            index_elements=["organization_id", "utm_key"],
            set_={**{t: statement.excluded[t] for t in targets}, "updated_at": func.now()},
        )
    )
    bi.expire_all()
    return await list_mappings(bi)


async def delete_mapping(bi: AsyncSession, mapping_id: uuid.UUID) -> None:
    """Remove a mapping (404 when it is not the organization's)."""
    mapping = await bi.get(SpendMapping, mapping_id)
    if mapping is None:
        raise NotFound("Mapping not found.")
    await bi.delete(mapping)
    await bi.flush()


async def unmapped(bi: AsyncSession, scope: Scope) -> schemas.Unmapped:
    """For the period: campaigns with spend that no touch of the period reaches, and the
    tagged touches' UTM campaigns that reach no campaign (with their sessions)."""
    period = scope.period
    combos = spend_join.stored_combinations(seen_from=period.start, seen_before=period.end).cte(
        "combos"
    )
    resolved = spend_join.resolve(combos).cte("resolved")
    m = CampaignMetric
    reached = exists().where(
        resolved.c.platform == m.platform,
        resolved.c.account_id == m.account_id,
        resolved.c.campaign_id == m.campaign_id,
    )
    spend_rows = await bi.execute(
        select(
            m.platform,
            m.account_id,
            m.campaign_id,
            m.currency,
            func.sum(m.spend).label("spend"),
            func.sum(m.impressions).label("impressions"),
            func.sum(m.clicks).label("clicks"),
        )
        .where(m.day >= period.date_from, m.day <= period.date_to, ~reached)
        .group_by(m.platform, m.account_id, m.campaign_id, m.currency)
    )
    campaigns: dict[tuple[str, str, str], schemas.UnmappedSpend] = {}
    for row in spend_rows:
        key = (row.platform, row.account_id, row.campaign_id)
        item = campaigns.setdefault(
            key,
            schemas.UnmappedSpend(
                platform=row.platform,
                account_id=row.account_id,
                campaign_id=row.campaign_id,
                campaign_name=None,
                spend=[],
                impressions=0,
                clicks=0,
            ),
        )
        item.spend.append(Money(currency=row.currency, amount=Decimal(row.spend)))
        item.impressions += int(row.impressions)
        item.clicks += int(row.clicks)
    if campaigns:
        names = await bi.execute(
            select(
                AdCampaign.platform, AdCampaign.account_id, AdCampaign.campaign_id, AdCampaign.name
            )
        )
        for platform, account, campaign, name in names:
            if (platform, account, campaign) in campaigns:
                campaigns[(platform, account, campaign)].campaign_name = name
    spend_out = sorted(
        campaigns.values(),
        key=lambda s: (-max((x.amount for x in s.spend), default=Decimal(0)), s.campaign_id),
    )[:UNMAPPED_LIMIT]
    return schemas.Unmapped(
        range=report_range(scope),
        spend=spend_out,
        utm_campaigns=await _unmapped_utms(bi, scope, combos, resolved),
    )


async def _unmapped_utms(
    bi: AsyncSession, scope: Scope, combos: Any, resolved: Any
) -> list[schemas.UnmappedUtm]:
    c = combos.c
    lost = (
        select(c.source, c.medium, c.campaign, func.max(c.last_seen).label("last_seen"))
        .where(
            ~exists().where(resolved.c.combination_key == c.combination_key),
            # Tagged touches only: organic and direct visits carry no campaign to map.
            or_(c.campaign.is_not(None), c.utm_id.is_not(None), c.content.is_not(None)),
        )
        .group_by(c.source, c.medium, c.campaign)
        .subquery("lost")
    )
    visits = scope.visits()
    sessions = (
        select(
            visits.c.source,
            visits.c.medium,
            visits.c.campaign,
            func.count().label("sessions"),
        )
        .group_by(visits.c.source, visits.c.medium, visits.c.campaign)
        .subquery("counted")
    )

    def same(column: str) -> ColumnElement[bool]:
        return func.coalesce(lost.c[column], "\x01") == func.coalesce(sessions.c[column], "\x01")

    rows = await bi.execute(
        select(lost, func.coalesce(sessions.c.sessions, 0).label("sessions"))
        .outerjoin(sessions, and_(same("source"), same("medium"), same("campaign")))
        .order_by(func.coalesce(sessions.c.sessions, 0).desc(), lost.c.campaign)
        .limit(UNMAPPED_LIMIT)
    )
    return [
        schemas.UnmappedUtm(
            source=row.source,
            medium=row.medium,
            campaign=row.campaign,
            sessions=int(row.sessions),
            last_seen=row.last_seen,
        )
        for row in rows
    ]
