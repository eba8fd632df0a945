"""Campaign figures. Reports read `email_campaign_daily` and `email_campaign_link_clicks`
(BI), which `refresh_daily` recounts from the events — the same numbers a count over the
events gives, by construction; a unique open or click is counted on the day of the
message's first one. Leads and revenue come from the CRM (`attribution`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import TenantScopeMissing, get_scope
from rastro.email import schemas
from rastro.email.event_models import CampaignDaily, CampaignLinkClicks, MessageEvent
from rastro.email.models import Campaign, Link
from rastro.email.service import attribution

_REFRESH = text(
    """
    INSERT INTO email_campaign_daily AS d (
        organization_id, campaign_id, day, sent, delivered, opens, human_opens, unique_opens,
        clicks, unique_clicks, hard_bounces, soft_bounces, complaints, unsubscribes, refused,
        refreshed_at)
    SELECT organization_id, campaign_id, (occurred_at AT TIME ZONE 'UTC')::date,
        count(*) FILTER (WHERE type = 'sent'),
        count(*) FILTER (WHERE type = 'delivered'),
        count(*) FILTER (WHERE type = 'open'),
        count(*) FILTER (WHERE type = 'open' AND NOT is_machine),
        count(*) FILTER (WHERE type = 'open' AND nth = 1),
        count(*) FILTER (WHERE type = 'click'),
        count(*) FILTER (WHERE type = 'click' AND nth = 1),
        count(*) FILTER (WHERE type = 'bounce' AND subtype = 'hard'),
        count(*) FILTER (WHERE type = 'bounce' AND subtype IS DISTINCT FROM 'hard'),
        count(*) FILTER (WHERE type = 'complaint'),
        count(*) FILTER (WHERE type = 'unsubscribe'),
        count(*) FILTER (WHERE type = 'refused'),
        now()
    FROM (
        SELECT e.*, row_number() OVER (
            PARTITION BY message_id, type ORDER BY occurred_at, event_id) AS nth
        FROM email_message_events e
        WHERE organization_id = :org AND campaign_id = :campaign
    ) counted
    GROUP BY organization_id, campaign_id, (occurred_at AT TIME ZONE 'UTC')::date
    ON CONFLICT (organization_id, campaign_id, day) DO UPDATE SET
        sent = excluded.sent, delivered = excluded.delivered, opens = excluded.opens,
        human_opens = excluded.human_opens, unique_opens = excluded.unique_opens,
        clicks = excluded.clicks, unique_clicks = excluded.unique_clicks,
        hard_bounces = excluded.hard_bounces, soft_bounces = excluded.soft_bounces,
        complaints = excluded.complaints, unsubscribes = excluded.unsubscribes,
        refused = excluded.refused, refreshed_at = excluded.refreshed_at
    """
)

_REFRESH_LINKS = text(
    """
    INSERT INTO email_campaign_link_clicks AS l (
        organization_id, campaign_id, link_id, clicks, unique_clicks, refreshed_at)
    SELECT organization_id, campaign_id, link_id, count(*), count(DISTINCT message_id), now()
    FROM email_message_events
    WHERE organization_id = :org AND campaign_id = :campaign AND type = 'click'
        AND link_id IS NOT NULL
    GROUP BY organization_id, campaign_id, link_id
    ON CONFLICT (organization_id, campaign_id, link_id) DO UPDATE SET
        clicks = excluded.clicks, unique_clicks = excluded.unique_clicks,
        refreshed_at = excluded.refreshed_at
    """
)

SETTLE = timedelta(minutes=5)

_COUNTERS = (
    "sent",
    "delivered",
    "opens",
    "human_opens",
    "unique_opens",
    "clicks",
    "unique_clicks",
    "hard_bounces",
    "soft_bounces",
    "complaints",
    "unsubscribes",
    "refused",
)


def _organization(bi: AsyncSession) -> uuid.UUID:
    scope = get_scope(bi)
    if scope is None or scope.organization_id is None:
        raise TenantScopeMissing("campaign aggregates need an organization scope")
    return scope.organization_id


async def refresh_daily(bi: AsyncSession, *, campaign_id: uuid.UUID) -> None:
    """Recount one campaign's daily figures and its clicks per link from its events
    (events are never updated or deleted, so every day and link that had events is
    rewritten whole)."""
    params = {"org": _organization(bi), "campaign": campaign_id}
    await bi.execute(_REFRESH, params)
    await bi.execute(_REFRESH_LINKS, params)


async def stale_campaigns(bi: AsyncSession) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(organization, campaign) pairs the session sees whose events were written after
    their last recount, by the time they were recorded (a provider may report late). A
    transaction that was still open during a recount commits events stamped before it:
    campaigns stay due for `SETTLE` after their last event, so those are counted too."""
    refreshed = (
        select(CampaignDaily.campaign_id, func.max(CampaignDaily.refreshed_at).label("at"))
        .group_by(CampaignDaily.campaign_id)
        .subquery()
    )
    latest = (
        select(
            MessageEvent.organization_id,
            MessageEvent.campaign_id,
            func.max(MessageEvent.recorded_at).label("at"),
        )
        .group_by(MessageEvent.organization_id, MessageEvent.campaign_id)
        .subquery()
    )
    rows = await bi.execute(
        select(latest.c.organization_id, latest.c.campaign_id)
        .outerjoin(refreshed, refreshed.c.campaign_id == latest.c.campaign_id)
        .where((refreshed.c.at.is_(None)) | (latest.c.at > refreshed.c.at - SETTLE))
    )
    return list(rows.all())


async def campaign_figures(
    crm: AsyncSession, bi: AsyncSession, *, campaigns: list[Campaign]
) -> list[schemas.CampaignFigures]:
    """The headline figures of each campaign, for the list of campaigns."""
    ids = [campaign.campaign_id for campaign in campaigns]
    sums = {
        row[0]: row[1:]
        for row in (
            await bi.execute(
                select(
                    CampaignDaily.campaign_id,
                    *(func.sum(getattr(CampaignDaily, name)) for name in _COUNTERS),
                )
                .where(CampaignDaily.campaign_id.in_(ids))
                .group_by(CampaignDaily.campaign_id)
            )
        ).all()
    }
    outcomes = await attribution.attributed(crm, bi, campaign_ids=ids)
    figures = []
    for campaign_id in ids:
        counted = sums.get(campaign_id) or (0,) * len(_COUNTERS)
        outcome = outcomes[campaign_id]
        figures.append(
            schemas.CampaignFigures(
                campaign_id=campaign_id,
                **{name: int(value or 0) for name, value in zip(_COUNTERS, counted, strict=True)},
                leads=outcome.leads,
                won_leads=outcome.won_leads,
                revenue=outcome.revenue_figures(),
            )
        )
    return figures


async def campaign_report(
    crm: AsyncSession, bi: AsyncSession, *, campaign: Campaign
) -> schemas.EmailCampaignReport:
    """A campaign's totals, per day, per link, with its leads and revenue."""
    days = list(
        await bi.scalars(
            select(CampaignDaily)
            .where(CampaignDaily.campaign_id == campaign.campaign_id)
            .order_by(CampaignDaily.day)
        )
    )
    totals = {name: sum(getattr(day, name) for day in days) for name in _COUNTERS}
    link_rows = (
        await bi.execute(
            select(
                CampaignLinkClicks.link_id,
                CampaignLinkClicks.clicks,
                CampaignLinkClicks.unique_clicks,
            ).where(CampaignLinkClicks.campaign_id == campaign.campaign_id)
        )
    ).all()
    link_clicks = {link_id: (clicks, unique) for link_id, clicks, unique in link_rows}
    links = [
        schemas.LinkFigures(
            link_id=link.link_id,
            url=link.url,
            clicks=link_clicks.get(link.link_id, (0, 0))[0],
            unique_clicks=link_clicks.get(link.link_id, (0, 0))[1],
        )
        for link in await crm.scalars(
            select(Link).where(Link.campaign_id == campaign.campaign_id).order_by(Link.position)
        )
    ]
    links.sort(key=lambda figure: (-figure.clicks, figure.link_id))
    outcome = (await attribution.attributed(crm, bi, campaign_ids=[campaign.campaign_id]))[
        campaign.campaign_id
    ]
    opened = totals["unique_opens"]
    return schemas.EmailCampaignReport(
        campaign_id=campaign.campaign_id,
        status=campaign.status,
        generated=campaign.generated,
        exclusions=campaign.exclusions,
        **totals,
        click_to_open=round(totals["unique_clicks"] / opened, 4) if opened else None,
        leads=outcome.leads,
        won_leads=outcome.won_leads,
        revenue=outcome.revenue_figures(),
        days=[
            schemas.DailyFigures(day=day.day, **{name: getattr(day, name) for name in _COUNTERS})
            for day in days
        ],
        links=links,
    )
