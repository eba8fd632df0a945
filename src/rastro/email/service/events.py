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
    # The rows as one JSON document (orjson writes uuids and times), read back by
    # `json_to_recordset`: arrays per column (and before them a VALUES row per event)
    # spent most of a sending batch's Python time in the driver's array encoding.
    rows = orjson.dumps(
        [
            {
                "event_id": uuid7(),
                "campaign_id": e.campaign_id,
                "message_id": e.message_id,
                "contact_id": e.contact_id,
                "link_id": e.link_id,
                "type": e.type,
                "subtype": e.subtype,
                "is_machine": e.is_machine,
                "source": e.source,
                "external_id": e.external_id,
                "detail": e.detail,
                "occurred_at": e.occurred_at or now,
            }
            for e in events
        ]
    ).decode()
    result = await bi.execute(_INSERT, {"organization_id": scope.organization_id, "rows": rows})
    return len(result.all())


_INSERT = text(
    """
    INSERT INTO email_message_events (event_id, organization_id, campaign_id, message_id,
        contact_id, link_id, type, subtype, is_machine, source, external_id, detail,
        occurred_at)
    SELECT e.event_id, :organization_id, e.campaign_id, e.message_id, e.contact_id,
        e.link_id, e.type, e.subtype, e.is_machine, e.source, e.external_id,
        coalesce(e.detail, '{}'), e.occurred_at
    FROM json_to_recordset(CAST(:rows AS json))
        AS e(event_id uuid, campaign_id uuid, message_id uuid, contact_id uuid, link_id int,
             type text, subtype text, is_machine boolean, source text, external_id text,
             detail jsonb, occurred_at timestamptz)
    ON CONFLICT (organization_id, source, external_id) WHERE external_id IS NOT NULL
    DO NOTHING
    RETURNING event_id
    """
)
