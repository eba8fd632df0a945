"""Helpers for the report tests: page views and events written straight into tracking's
tables, and the raw rows (sessions with their touch, leads) the recounts read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text

from rastro.core.db import SYSTEM, Databases, Scope
from rastro.tracking import partitions
from rastro.tracking.models import Event, PageView
from tests.tracking.factories import Site

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def local_day(moment: datetime) -> date:
    """The São Paulo calendar day of a UTC instant."""
    return moment.astimezone(SAO_PAULO).date()


def in_days(moment: datetime, date_from: date, date_to: date) -> bool:
    return date_from <= local_day(moment) <= date_to


async def add_domain(client: httpx.AsyncClient, site: Site, url: str) -> uuid.UUID:
    response = await client.post("/api/domains", headers=site.headers, json={"domain_url": url})
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["domain_id"])


async def add_page_views(
    databases: Databases,
    organization_id: uuid.UUID,
    views: list[tuple[str, datetime, list[str]]],
) -> None:
    """For each (session id, start, urls): one page view per URL, a minute apart."""
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        for session_id, start, urls in views:
            for order, url in enumerate(urls, start=1):
                bi.add(
                    PageView(
                        view_id=uuid.uuid4(),
                        created_at=start + timedelta(minutes=order - 1),
                        session_id=session_id,
                        page_url=url,
                        view_order=order,
                    )
                )


async def add_events(
    databases: Databases,
    organization_id: uuid.UUID,
    events: list[tuple[str, datetime, str]],
) -> None:
    """Interaction events (session id, time, type)."""
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        for session_id, at, event_type in events:
            bi.add(
                Event(
                    event_id=uuid.uuid4(),
                    created_at=at,
                    session_id=session_id,
                    event_type=event_type,
                )
            )


@dataclass(frozen=True)
class RawSession:
    session_id: str
    visitor_id: str
    domain_id: uuid.UUID
    started_at: datetime
    page_views: int
    events: int
    channel: str
    device: str | None
    campaign: str | None


async def raw_sessions(databases: Databases, organization_id: uuid.UUID) -> list[RawSession]:
    """Every human session with its start touch, read from tracking's own tables."""
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        rows = await bi.execute(
            text(
                "SELECT s.session_id, s.visitor_id, s.domain_id, s.started_at, "
                "s.total_page_views, s.total_events, coalesce(t.channel, s.channel) AS channel, "
                "t.device, t.utm_campaign FROM sessions s LEFT JOIN utm_tracking t "
                "ON t.session_id = s.session_id AND t.created_at = s.started_at "
                "WHERE NOT s.is_bot"
            )
        )
        return [RawSession(*row) for row in rows]


async def raw_rows(databases: Databases, organization_id: uuid.UUID, sql: str) -> list[Any]:
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        return list(await bi.execute(text(sql)))


@dataclass(frozen=True)
class RawLead:
    lead_id: uuid.UUID
    contact_id: uuid.UUID
    created_at: datetime
    visitor_ids: tuple[str, ...]
    channel: str | None
    campaign: str | None
    won_at: datetime | None
    value: Decimal | None


async def raw_leads(databases: Databases, organization_id: uuid.UUID) -> list[RawLead]:
    """Every lead with its visitors (the lead's, then its contact's) and its won move."""
    async with databases.crm.transaction(Scope.organization(organization_id)) as crm:
        rows = await crm.execute(
            text(
                "SELECT l.lead_id, l.contact_id, l.created_at, l.visitor_id, c.visitor_ids, "
                "l.channel, l.campaign, l.current_stage, l.stage_value, "
                "(SELECT max(created_at) FROM lead_stages s WHERE s.lead_id = l.lead_id "
                "AND s.stage_name = 'won') FROM leads l JOIN contacts c USING (contact_id)"
            )
        )
        leads = []
        for row in rows:
            visitors = tuple(dict.fromkeys([v for v in [row[3], *(row[4] or [])] if v]))
            won_at = row[9] if row[7] == "won" else None
            leads.append(RawLead(row[0], row[1], row[2], visitors, row[5], row[6], won_at, row[8]))
        return leads


async def ensure_partitions(databases: Databases, months_back: int) -> None:
    """The monthly partitions of tracking's event tables for the last `months_back` months
    (the job creates only the current and coming ones)."""
    today = datetime.now(SAO_PAULO).date()
    async with databases.bi.transaction(SYSTEM) as bi:
        first = partitions.add_months(today.replace(day=1), -months_back)
        await partitions.create_months_since(bi, first, today)
