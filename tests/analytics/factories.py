"""Factories for the analytics tests: sessions with their touch written straight into the
BI tables (the collector is tested on its own), and the rollups brought up to date."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from rastro.analytics.service import facts, rollup_refresh, spend_join, upkeep
from rastro.auth.service import accounts
from rastro.core.db import Databases, Scope
from rastro.core.units import TransactionBoundary
from rastro.tracking.models import TrackedSession, UtmTracking

_n = iter(range(1, 10**9))


@dataclass(frozen=True)
class Visit:
    started_at: datetime
    visitor_id: str
    channel: str = "Paid Search"
    source: str | None = "google"
    medium: str | None = "cpc"
    campaign: str | None = "spring"
    content: str | None = None
    term: str | None = None
    utm_id: str | None = None
    gclid: str | None = None
    device: str = "mobile"
    page_views: int = 2
    returning: bool = False
    is_bot: bool = False
    landing_page_id: uuid.UUID | None = None


async def add_visits(
    databases: Databases, organization_id: uuid.UUID, domain_id: uuid.UUID, visits: list[Visit]
) -> list[str]:
    """Store these sessions, each with its touch; returns their session ids."""
    ids = []
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        for visit in visits:
            n = next(_n)
            session_id = f"cs{n:020d}.x"
            ids.append(session_id)
            bi.add(
                TrackedSession(
                    session_id=session_id,
                    domain_id=domain_id,
                    first_page_id=visit.landing_page_id,
                    visitor_id=visit.visitor_id,
                    client_session_id=f"cs{n:020d}",
                    started_at=visit.started_at,
                    last_activity_at=visit.started_at,
                    total_page_views=visit.page_views,
                    total_events=1,
                    return_visits=1 if visit.returning else 0,
                    is_bot=visit.is_bot,
                    channel=visit.channel,
                )
            )
            bi.add(
                UtmTracking(
                    tracking_id=uuid.uuid4(),
                    created_at=visit.started_at,
                    session_id=session_id,
                    visitor_id=visit.visitor_id,
                    domain_id=domain_id,
                    utm_source=visit.source,
                    utm_medium=visit.medium,
                    utm_campaign=visit.campaign,
                    utm_content=visit.content,
                    utm_term=visit.term,
                    utm_id=visit.utm_id,
                    gclid=visit.gclid,
                    channel=visit.channel,
                    device=visit.device,
                )
            )
    return ids


async def refresh(databases: Databases, organization_id: uuid.UUID, *, full: bool = False) -> None:
    """Copy every lead's outcome and bring the rollups up to now."""
    await facts.rebuild_facts(
        TransactionBoundary(databases.crm), TransactionBoundary(databases.bi), organization_id
    )
    scope = Scope.organization(organization_id)
    async with databases.crm.transaction(scope) as crm:
        timezone = (await accounts.get_organization(crm, organization_id)).timezone
    async with databases.bi.transaction(scope) as bi:
        await rollup_refresh.refresh(
            bi,
            organization_id,
            timezone=timezone,
            full=full,
            side=TransactionBoundary(databases.bi),
        )
        await spend_join.refresh_combinations(bi, organization_id)


async def refresh_organization(databases: Databases, organization_id: uuid.UUID) -> None:
    """The worker's refresh of one organization (copies every lead the first time)."""
    await upkeep.refresh_organization(
        TransactionBoundary(databases.crm), TransactionBoundary(databases.bi), organization_id
    )
