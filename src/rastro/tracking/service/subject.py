"""A data subject's visits (the privacy module's export and erasure): the sessions, touches,
page views and events of the visitor ids stitched to the person, and their leads'
attribution.

Erasure keeps the visits counting (sessions, page views, channels, attribution: reports
do not move) and cuts them from the person: each visitor id becomes a random one, the
client IP, user agent, URL parameters and query strings, referrers and event data go."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.subjects import ErasedCounts, SubjectRows, rows_where
from rastro.tracking.models import (
    Event,
    LeadAttribution,
    PageView,
    TrackedSession,
    UtmTracking,
    VisitorJourney,
)


def _of_visitor(
    model: type[TrackedSession] | type[UtmTracking],
    visitor_ids: Sequence[str],
    session_ids: Sequence[str],
) -> ColumnElement[bool]:
    conditions = []
    if visitor_ids:
        conditions.append(model.visitor_id.in_(visitor_ids))
    if session_ids:
        conditions.append(model.session_id.in_(session_ids))
    return or_(*conditions) if conditions else false()


async def _session_ids(
    session: AsyncSession, visitor_ids: Sequence[str], session_ids: Sequence[str]
) -> list[str]:
    found = await session.scalars(
        select(TrackedSession.session_id).where(
            _of_visitor(TrackedSession, visitor_ids, session_ids)
        )
    )
    return sorted(set(found) | set(session_ids))


async def subject_data(
    session: AsyncSession,
    *,
    visitor_ids: Sequence[str],
    session_ids: Sequence[str],
    lead_ids: Sequence[uuid.UUID],
) -> SubjectRows:
    """The person's sessions, touches, page views, events, journeys and attribution."""
    sessions = await _session_ids(session, visitor_ids, session_ids)
    if not sessions and not lead_ids:
        return {}
    return {
        "sessions": await rows_where(
            session, TrackedSession.__table__, TrackedSession.session_id.in_(sessions)
        ),
        "utm_tracking": await rows_where(
            session, UtmTracking.__table__, _of_visitor(UtmTracking, visitor_ids, sessions)
        ),
        "page_views": await rows_where(
            session, PageView.__table__, PageView.session_id.in_(sessions)
        ),
        "events": await rows_where(session, Event.__table__, Event.session_id.in_(sessions)),
        "visitor_journeys": await rows_where(
            session, VisitorJourney.__table__, VisitorJourney.visitor_id.in_(visitor_ids)
        ),
        "lead_attribution": await rows_where(
            session, LeadAttribution.__table__, LeadAttribution.lead_id.in_(lead_ids)
        ),
    }


def _without_query(column: Any) -> ColumnElement[str]:
    """The URL without its query string (where e-mails and click ids travel)."""
    return func.split_part(column, "?", 1)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def erase_subject(
    session: AsyncSession,
    *,
    visitor_replacements: Mapping[str, str],
    session_ids: Sequence[str],
) -> ErasedCounts:
    """Cut the person's visits from them (see the module's docstring). Each visitor id
    becomes its replacement (random, chosen by the caller so that every module replaces
    it with the same value and distinct-visitor counts do not move)."""
    visitor_ids = list(visitor_replacements)
    sessions = await _session_ids(session, visitor_ids, session_ids)
    if not sessions and not visitor_ids:
        return {}
    erased: ErasedCounts = {"sessions": 0, "utm_tracking": 0, "visitor_journeys": 0}
    for visitor_id, replacement in visitor_replacements.items():
        for name, model in (
            ("sessions", TrackedSession),
            ("utm_tracking", UtmTracking),
            ("visitor_journeys", VisitorJourney),
        ):
            result = await session.execute(
                update(model).where(model.visitor_id == visitor_id).values(visitor_id=replacement)
            )
            erased[name] += _rowcount(result)
    touches = await session.execute(
        update(UtmTracking)
        .where(UtmTracking.session_id.in_(sessions))
        .values(
            client_ip=None,
            user_agent=None,
            url_params={},
            referrer=None,
            page_url=_without_query(UtmTracking.page_url),
        )
    )
    erased["utm_tracking"] = max(erased["utm_tracking"], _rowcount(touches))
    await session.execute(
        update(TrackedSession).where(TrackedSession.session_id.in_(sessions)).values(metadata_={})
    )
    erased["sessions"] = max(erased["sessions"], len(sessions))
    views = await session.execute(
        update(PageView)
        .where(PageView.session_id.in_(sessions))
        .values(referrer=None, page_url=_without_query(PageView.page_url))
    )
    erased["page_views"] = _rowcount(views)
    events = await session.execute(
        update(Event).where(Event.session_id.in_(sessions)).values(event_data={}, event_label=None)
    )
    erased["events"] = _rowcount(events)
    return erased
