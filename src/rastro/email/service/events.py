"""Writing message events (BI, append-only): each is inserted once — a provider event's
(`source`, `external_id`) is unique, so a replayed webhook adds nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import TenantScopeMissing, get_scope
from rastro.core.ids import uuid7


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
    # One array per column, unnested in one statement: a VALUES row per event compiled
    # thousands of parameters per batch, most of a sending batch's time.
    result = await bi.execute(
        _INSERT,
        {
            "organization_id": scope.organization_id,
            "event_id": [uuid7() for _ in events],
            "campaign_id": [e.campaign_id for e in events],
            "message_id": [e.message_id for e in events],
            "contact_id": [e.contact_id for e in events],
            "link_id": [e.link_id for e in events],
            "type": [e.type for e in events],
            "subtype": [e.subtype for e in events],
            "is_machine": [e.is_machine for e in events],
            "source": [e.source for e in events],
            "external_id": [e.external_id for e in events],
            "detail": [orjson.dumps(e.detail).decode() for e in events],
            "occurred_at": [e.occurred_at or now for e in events],
        },
    )
    return len(result.all())


_INSERT = text(
    """
    INSERT INTO email_message_events (event_id, organization_id, campaign_id, message_id,
        contact_id, link_id, type, subtype, is_machine, source, external_id, detail,
        occurred_at)
    SELECT e.event_id, :organization_id, e.campaign_id, e.message_id, e.contact_id,
        e.link_id, e.type, e.subtype, e.is_machine, e.source, e.external_id,
        e.detail::jsonb, e.occurred_at
    FROM unnest(CAST(:event_id AS uuid[]), CAST(:campaign_id AS uuid[]),
        CAST(:message_id AS uuid[]), CAST(:contact_id AS uuid[]), CAST(:link_id AS int[]),
        CAST(:type AS text[]), CAST(:subtype AS text[]), CAST(:is_machine AS boolean[]),
        CAST(:source AS text[]), CAST(:external_id AS text[]), CAST(:detail AS text[]),
        CAST(:occurred_at AS timestamptz[]))
        AS e(event_id, campaign_id, message_id, contact_id, link_id, type, subtype,
             is_machine, source, external_id, detail, occurred_at)
    ON CONFLICT (organization_id, source, external_id) WHERE external_id IS NOT NULL
    DO NOTHING
    RETURNING event_id
    """
)
