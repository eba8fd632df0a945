"""Routes of the tracking module's read API: live sessions and online visitors, sessions by
WhatsApp ref code, one session's timeline, and a visitor's journey."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from rastro.core.deps import BiSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.tracking import schemas
from rastro.tracking.permissions import Read
from rastro.tracking.service import reads

router = APIRouter(prefix="/api", route_class=TransactionalRoute, responses=ERROR_RESPONSES)


@router.get("/sessions/live", response_model=Page[schemas.SessionSummary], tags=["tracking"])
async def live_sessions(
    _: Read, session: BiSession, params: Pagination, include_bots: bool = False
) -> Page[schemas.SessionSummary]:
    """Sessions active in the last 30 minutes (seed 002's online visitors)."""
    rows, total = await reads.live_sessions(session, params, include_bots=include_bots)
    return Page.of([schemas.SessionSummary.of(s) for s in rows], total, params)


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
