"""Writing message events (BI, append-only): each is inserted once — a provider event's
(`source`, `external_id`) is unique, so a replayed webhook adds nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import TenantScopeMissing, get_scope
from rastro.core.ids import uuid7
from rastro.email.event_models import MessageEvent


@dataclass(frozen=True)
class NewEvent:
    campaign_id: uuid.UUID
    message_id: uuid.UUID
    contact_id: uuid.UUID
    type: str
    source: str
    subtype: str | None = None
    link_id: int | None = None
    is_machine: bool = False
    external_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None


async def record_events(bi: AsyncSession, *, events: list[NewEvent]) -> int:
    """Append events for the session's organization; returns how many were new."""
    if not events:
        return 0
    scope = get_scope(bi)
    if scope is None or scope.organization_id is None:
        raise TenantScopeMissing("message events need an organization scope")
    now = datetime.now(UTC)
    rows = [
        {
            "event_id": uuid7(),
            "organization_id": scope.organization_id,
            "campaign_id": event.campaign_id,
            "message_id": event.message_id,
            "contact_id": event.contact_id,
            "link_id": event.link_id,
            "type": event.type,
            "subtype": event.subtype,
            "is_machine": event.is_machine,
            "source": event.source,
            "external_id": event.external_id,
            "detail": event.detail,
            "occurred_at": event.occurred_at or now,
        }
        for event in events
    ]
    result = await bi.execute(
        insert(MessageEvent)
        .values(rows)
        .on_conflict_do_nothing(
            index_elements=["organization_id", "source", "external_id"],
            index_where=text("external_id IS NOT NULL"),
        )
        .returning(MessageEvent.event_id)
    )
    return len(result.all())
