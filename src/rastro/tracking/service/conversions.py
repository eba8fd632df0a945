"""What other modules ask of the tracked traffic when a visit converts: the facts of the
converting session (for attribution and scoring) and marking it converted."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    DateTime,
    Integer,
    Row,
    Text,
    any_,
    bindparam,
    column,
    func,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.units import TransactionBoundary
from rastro.tracking.contracts import RASTRO_SESSION_FACTS, SessionFactsQuery, TouchRow
from rastro.tracking.models import TrackedSession, UtmTracking, VisitorJourney

K = TypeVar("K")

TOUCH_FIELDS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_id",
    "utm_term",
    "utm_content",
    "gclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "fbc",
    "fbp",
    "ttclid",
    "li_fat_id",
    "msclkid",
    "src",
    "sck",
    "xcod",
)


@dataclass(frozen=True)
class Touch:
    """A stored touch (a `utm_tracking` row) as lead capture credits it."""

    tracking_id: uuid.UUID
    created_at: datetime
    channel: str | None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_id: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    gclid: str | None = None
    gbraid: str | None = None
    wbraid: str | None = None
    fbclid: str | None = None
    fbc: str | None = None
    fbp: str | None = None
    ttclid: str | None = None
    li_fat_id: str | None = None
    msclkid: str | None = None
    src: str | None = None
    sck: str | None = None
    xcod: str | None = None

    @classmethod
    def of(cls, row: TouchRow | None) -> Touch | None:
        if row is None:
            return None
        return cls(
            tracking_id=uuid.UUID(row["tracking_id"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            channel=row["channel"],
            utm_source=row["utm_source"],
            utm_medium=row["utm_medium"],
            utm_campaign=row["utm_campaign"],
            utm_id=row["utm_id"],
            utm_term=row["utm_term"],
            utm_content=row["utm_content"],
            gclid=row["gclid"],
            gbraid=row["gbraid"],
            wbraid=row["wbraid"],
            fbclid=row["fbclid"],
            fbc=row["fbc"],
            fbp=row["fbp"],
            ttclid=row["ttclid"],
            li_fat_id=row["li_fat_id"],
            msclkid=row["msclkid"],
            src=row["src"],
            sck=row["sck"],
            xcod=row["xcod"],
        )


@dataclass(frozen=True)
class SessionFacts:
    session_id: str
    visitor_id: str
    domain_id: uuid.UUID
    started_at: datetime
    last_activity_at: datetime
    total_page_views: int
    total_events: int
    return_visits: int
    seconds_on_site: int
    first_visit_at: datetime  # the visitor's first visit on this domain
    first_touch: Touch | None  # the visitor's first, across their sessions
    last_touch: Touch | None  # the converting session's last


def touch_dict(touch: Row[Any]) -> dict[str, Any]:
    """A touch (a row of `touchpoints`) as a JSON-ready dict (for attribution snapshots)."""
    data: dict[str, Any] = {field: getattr(touch, field) for field in TOUCH_FIELDS}
    data = {key: value for key, value in data.items() if value is not None}
    for name in ("email_message_id", "email_contact_id"):
        if getattr(touch, name, None) is not None:
            data[name] = str(getattr(touch, name))
    data.update(
        tracking_id=str(touch.tracking_id),
        session_id=touch.session_id,
        at=touch.created_at.isoformat(),
        channel=touch.channel,
        device=touch.device,
        page_url=touch.page_url,
        referrer=touch.referrer,
    )
    return data


async def session_facts(
    bi: TransactionBoundary, organization_id: uuid.UUID, session_id: str
) -> SessionFacts | None:
    """The converting session (by server or tracker id), its visitor's first touch and its
    own last touch; None if the organization does not know the session.

    One round trip to `rastro_session_facts()` (BI migration 0005), an `AutocommitCall`
    through the caller's BI boundary.
    """
    query = SessionFactsQuery(organization_id=organization_id, session_id=session_id)
    facts = await bi.call(RASTRO_SESSION_FACTS, query)
    if facts is None:
        return None
    started_at = datetime.fromisoformat(facts["started_at"])
    last_activity_at = datetime.fromisoformat(facts["last_activity_at"])
    elapsed = int((last_activity_at - started_at).total_seconds())
    return SessionFacts(
        session_id=facts["session_id"],
        visitor_id=facts["visitor_id"],
        domain_id=uuid.UUID(facts["domain_id"]),
        started_at=started_at,
        last_activity_at=last_activity_at,
        total_page_views=facts["total_page_views"],
        total_events=facts["total_events"],
        return_visits=facts["return_visits"],
        seconds_on_site=max(elapsed, int(facts["seconds_on_pages"] or 0)),
        first_visit_at=datetime.fromisoformat(facts["first_visit_at"]),
        first_touch=Touch.of(facts["first_touch"]),
        last_touch=Touch.of(facts["last_touch"]),
    )


async def engaged_sessions(session: AsyncSession) -> list[TrackedSession]:
    """Human sessions that saw more than one page, oldest first (the demo's converters)."""
    return list(
        await session.scalars(
            select(TrackedSession)
            .where(TrackedSession.is_bot.is_(False), TrackedSession.total_page_views > 1)
            .order_by(TrackedSession.started_at)
        )
    )


async def mark_converted(session: AsyncSession, session_ids: Collection[str]) -> None:
    """These sessions and their visitors' journeys converted (idempotent): a journey's
    conversion session is its earliest among them, unless it had converted before."""
    if not session_ids:
        return
    ids = sorted(set(session_ids))
    first = (
        select(TrackedSession.domain_id, TrackedSession.visitor_id, TrackedSession.session_id)
        .where(TrackedSession.session_id.in_(ids))
        .ext(distinct_on(TrackedSession.domain_id, TrackedSession.visitor_id))
        .order_by(TrackedSession.domain_id, TrackedSession.visitor_id, TrackedSession.started_at)
        .subquery()
    )
    await session.execute(
        update(VisitorJourney)
        .where(
            VisitorJourney.domain_id == first.c.domain_id,
            VisitorJourney.visitor_id == first.c.visitor_id,
            VisitorJourney.converted.is_(False),
        )
        .values(converted=True, conversion_session_id=first.c.session_id)
    )
    await session.execute(
        update(TrackedSession)
        .where(TrackedSession.session_id.in_(ids), TrackedSession.converted.is_(False))
        .values(converted=True)
    )


MAX_TOUCHPOINTS = 500

# For each person (a key, visitor ids and a time, from a JSON parameter), their touches:
# built once, so that a batch pays no statement construction.
_PERSON = (
    func.jsonb_to_recordset(bindparam("people", type_=JSONB))
    .table_valued(
        column("key", Integer),
        column("visitor_ids", ARRAY(Text)),
        column("until", DateTime(timezone=True)),
    )
    .render_derived(name="person", with_types=True)
)
_THEIR = (
    select(UtmTracking)
    .where(
        UtmTracking.visitor_id == any_(_PERSON.c.visitor_ids),
        UtmTracking.created_at <= _PERSON.c.until,
    )
    .order_by(UtmTracking.created_at)
    .limit(MAX_TOUCHPOINTS)
    .lateral("their")
)
_TOUCHPOINTS = (
    select(_PERSON.c.key.label("rastro_key"), *_THEIR.c)
    .select_from(_PERSON.join(_THEIR, true()))
    .order_by(_PERSON.c.key, _THEIR.c.created_at)
)


async def touchpoints(
    session: AsyncSession, people: Mapping[K, tuple[Collection[str], datetime]]
) -> dict[K, list[Row[Any]]]:
    """For each key, every touch of its visitors (one person's browsers) up to its time,
    oldest first (at most `MAX_TOUCHPOINTS`): one query for all of them. The touches are
    rows with the columns of `utm_tracking` (no ORM objects: a batch of leads reads
    hundreds)."""
    keys = list(people)
    wanted = [
        {"key": index, "visitor_ids": sorted(visitor_ids), "until": until.isoformat()}
        for index, (visitor_ids, until) in enumerate(people.values())
        if visitor_ids
    ]
    found: dict[K, list[Row[Any]]] = {key: [] for key in keys}
    if not wanted:
        return found
    for row in (await session.execute(_TOUCHPOINTS, {"people": wanted})).all():
        found[keys[row.rastro_key]].append(row)
    return found
