"""Routes of the tracking module's read API: live sessions and online visitors, sessions by
WhatsApp ref code, one session's timeline, and a visitor's journey."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query

from rastro.auth.service import accounts
from rastro.core.deps import BiSession, CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.tracking import schemas
from rastro.tracking.channels import CHANNELS
from rastro.tracking.permissions import Read
from rastro.tracking.service import reads

Channel = Literal[CHANNELS]  # type: ignore[valid-type]

router = APIRouter(prefix="/api", route_class=TransactionalRoute, responses=ERROR_RESPONSES)


@router.get("/sessions/live", response_model=Page[schemas.SessionSummary], tags=["tracking"])
async def live_sessions(
    _: Read, session: BiSession, params: Pagination, include_bots: bool = False
) -> Page[schemas.SessionSummary]:
    """Sessions active in the last 30 minutes (seed 002's online visitors)."""
    rows, total = await reads.live_sessions(session, params, include_bots=include_bots)
    return Page.of([schemas.SessionSummary.of(s) for s in rows], total, params)


Text255 = Annotated[str | None, Query(min_length=1, max_length=255)]


@router.get("/sessions", response_model=Page[schemas.SessionListItem], tags=["tracking"])
async def session_history(
    _: Read,
    session: BiSession,
    params: Pagination,
    started_from: Annotated[datetime, Query(description="Inclusive (UTC if naive)")],
    started_to: Annotated[datetime, Query(description="Exclusive (UTC if naive); ≤ 400 days")],
    domain_id: uuid.UUID | None = None,
    landing_page_id: uuid.UUID | None = None,
    channel: Annotated[Channel | None, Query()] = None,
    source: Text255 = None,
    medium: Text255 = None,
    campaign: Text255 = None,
    device: Literal["desktop", "mobile", "tablet"] | None = None,
    converted: bool | None = None,
    include_bots: bool = False,
) -> Page[schemas.SessionListItem]:
    """Sessions started in a range (newest first), narrowed like the analytics reports
    (domain, landing page, channel, source, medium, campaign, device) and by whether they
    converted; bots hidden unless asked for."""
    filters = reads.SessionFilters(
        started_from=reads.utc(started_from),
        started_to=reads.utc(started_to),
        domain_id=domain_id,
        landing_page_id=landing_page_id,
        channel=channel,
        source=source,
        medium=medium,
        campaign=campaign,
        device=device,
        converted=converted,
        include_bots=include_bots,
    )
    rows, total = await reads.list_sessions(session, params, filters=filters)
    return Page.of([schemas.SessionListItem.of_row(row) for row in rows], total, params)


@router.get("/tracking/activity", response_model=schemas.TrackingActivity, tags=["tracking"])
async def tracking_activity(
    principal: Read,
    crm: CrmSession,
    session: BiSession,
    days: Annotated[int, Query(ge=1, le=365, description="The landing pages' window")] = 30,
) -> schemas.TrackingActivity:
    """Per domain, the latest event received and today's sessions (is the snippet
    installed?); per landing page, its sessions, leads and conversion rate over `days`."""
    organization = await accounts.get_organization(crm, principal.organization_id)
    now = datetime.now(UTC)
    zone = ZoneInfo(organization.timezone)
    today_start = datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone)
    since = now - timedelta(days=days)
    domains = await reads.domain_activity(session, today_start=today_start, now=now)
    pages = await reads.landing_page_activity(session, since=since)
    return schemas.TrackingActivity(
        today_start=today_start,
        since=since,
        domains=[schemas.DomainActivityOut.model_validate(d) for d in domains],
        landing_pages=[
            schemas.LandingActivityOut(
                landing_page_id=p.landing_page_id,
                sessions=p.sessions,
                converted=p.converted,
                conversion_rate=p.converted / p.sessions if p.sessions else None,
            )
            for p in pages
        ],
    )


@router.get("/visitors", response_model=Page[schemas.SessionSummary], tags=["tracking"])
async def online_visitors(
    _: Read, session: BiSession, params: Pagination
) -> Page[schemas.SessionSummary]:
    """Seed 002 `GET /api/visitors`: the visitors online now (live sessions)."""
    rows, total = await reads.live_sessions(session, params)
    return Page.of([schemas.SessionSummary.of(s) for s in rows], total, params)


@router.get(
    "/sessions/by-ref/{code}", response_model=Page[schemas.SessionSummary], tags=["tracking"]
)
async def sessions_by_ref(
    code: Annotated[str, Path(pattern=reads.REF_CODE.pattern)],
    _: Read,
    session: BiSession,
    params: Pagination,
) -> Page[schemas.SessionSummary]:
    """The sessions a WhatsApp message's `[ref:XXXXXX]` code points to (last 90 days)."""
    rows, total = await reads.sessions_by_ref(session, params, code)
    return Page.of([schemas.SessionSummary.of(s) for s in rows], total, params)


@router.get("/sessions/{session_id}", response_model=schemas.SessionTimeline, tags=["tracking"])
async def session_timeline(session_id: str, _: Read, session: BiSession) -> schemas.SessionTimeline:
    """A session's touches, page views (in order, with time on page) and events."""
    tracked, touches, views, events = await reads.session_timeline(session, session_id)
    return schemas.SessionTimeline(
        session=schemas.SessionSummary.of(tracked),
        touches=[schemas.Touchpoint.model_validate(t) for t in touches],
        page_views=[schemas.PageViewOut.model_validate(v) for v in views],
        events=[schemas.EventOut.model_validate(e) for e in events],
    )


@router.get(
    "/visitors/{session_id}/events", response_model=list[schemas.EventOut], tags=["tracking"]
)
async def visitor_events(session_id: str, _: Read, session: BiSession) -> list[schemas.EventOut]:
    """Seed 002 `GET /api/visitors/{id}/events`: the events of one visit."""
    timeline = await reads.session_timeline(session, session_id)
    return [schemas.EventOut.model_validate(e) for e in timeline[3]]


@router.get("/journeys/{visitor_id}", response_model=schemas.VisitorJourneyOut, tags=["tracking"])
async def journey(visitor_id: str, _: Read, session: BiSession) -> schemas.VisitorJourneyOut:
    """A visitor's journey: every session and touch, across visits."""
    journeys, sessions, touches = await reads.visitor_journey(session, visitor_id)
    first = journeys[0]
    return schemas.VisitorJourneyOut(
        visitor_id=visitor_id,
        domain_id=first.domain_id,
        first_visit_at=min(j.first_visit_at for j in journeys),
        last_visit_at=max(j.last_visit_at for j in journeys),
        total_sessions=sum(j.total_sessions for j in journeys),
        total_page_views=sum(j.total_page_views for j in journeys),
        converted=any(j.converted for j in journeys),
        conversion_session_id=next(
            (j.conversion_session_id for j in journeys if j.conversion_session_id), None
        ),
        sessions=[schemas.SessionSummary.of(s) for s in sessions],
        touches=[schemas.Touchpoint.model_validate(t) for t in touches],
    )
