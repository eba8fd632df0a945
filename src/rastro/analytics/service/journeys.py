"""Converting people's journeys: for each conversion, the ordered touches of its person's
visitors (`conversion_facts.visitor_ids`: the lead's visitor and its contact's others)
within a lookback up to the conversion, read through tracking's `visitor_touches` in one
set-based query (no query per conversion).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import FromClause

from rastro.tracking.channels import DIRECT
from rastro.tracking.service import facts as tracking_facts

DEFAULT_LOOKBACK_DAYS = 90


@dataclass(frozen=True, slots=True)
class Touch:
    """One touch of a journey (a session start or a later campaign touch)."""

    at: datetime
    channel: str
    source: str | None
    medium: str | None
    campaign: str | None
    content: str | None


async def journey_touches(
    bi: AsyncSession, conversions: FromClause, *, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> dict[uuid.UUID, list[Touch]]:
    """Per conversion, its touches in time order within `lookback_days` before (and at) its
    moment. `conversions` is a selectable with columns lead_id, converted_at, visitor_ids;
    conversions without a touch are absent from the result."""
    person = (
        select(
            conversions.c.lead_id,
            conversions.c.converted_at,
            func.unnest(conversions.c.visitor_ids).label("visitor_id"),
        )
        .distinct()
        .subquery("person")
    )
    touches = tracking_facts.visitor_touches(select(person.c.visitor_id)).subquery("touches")
    lookback = timedelta(days=lookback_days)
    rows = await bi.execute(
        select(
            person.c.lead_id,
            touches.c.created_at,
            func.coalesce(touches.c.channel, literal(DIRECT)).label("channel"),
            touches.c.source,
            touches.c.medium,
            touches.c.campaign,
            touches.c.content,
        )
        .join_from(
            person,
            touches,
            and_(
                touches.c.visitor_id == person.c.visitor_id,
                touches.c.created_at <= person.c.converted_at,
                touches.c.created_at >= person.c.converted_at - lookback,
            ),
        )
        .order_by(person.c.lead_id, touches.c.created_at, touches.c.session_id)
    )
    journeys: dict[uuid.UUID, list[Touch]] = defaultdict(list)
    for row in rows:
        journeys[row.lead_id].append(_touch(row))
    return dict(journeys)


def _touch(row: Any) -> Touch:
    return Touch(
        at=row.created_at,
        channel=row.channel,
        source=row.source,
        medium=row.medium,
        campaign=row.campaign,
        content=row.content,
    )


def collapsed_channels(touches: list[Touch]) -> list[str]:
    """The journey's channels with consecutive repeats collapsed (A A B A → A B A)."""
    channels: list[str] = []
    for touch in touches:
        if not channels or channels[-1] != touch.channel:
            channels.append(touch.channel)
    return channels
