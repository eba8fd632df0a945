"""The access audit log: written once per audited request (the writer `core.audit` calls),
read by administrators with filters, pages and a CSV download. Append-only: nothing here
updates or deletes a row, and the database refuses it (migration 0036)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from ua_parser import parse as parse_user_agent

from rastro.auth.service.directory import members_by_id
from rastro.core import audit
from rastro.core.db import insert_rows
from rastro.core.ids import uuid7
from rastro.core.pagination import PageParams, paginate
from rastro.privacy.models import AuditEntry
from rastro.privacy.schemas import AuditEntryOut, AuditFilters

_UNKNOWN = "other"


@lru_cache(maxsize=2048)
def reduce_user_agent(user_agent: str) -> str:
    """Browser / OS / device of a user agent ("Chrome / Windows / desktop"): enough to
    tell where a read came from, without the version details that fingerprint a person."""
    parsed = parse_user_agent(user_agent[:512])
    browser = parsed.user_agent.family if parsed.user_agent else _UNKNOWN
    system = parsed.os.family if parsed.os else _UNKNOWN
    device = "mobile" if "Mobile" in user_agent else "desktop"
    return f"{browser} / {system} / {device}"[:120]


async def write_entries(
    session: AsyncSession, actor: audit.AuditActor, events: Sequence[audit.AuditEvent]
) -> None:
    """The request's events as rows, in one INSERT (the `core.audit` writer)."""
    reduced = reduce_user_agent(actor.user_agent) if actor.user_agent else None
    rows = [
        {
            "entry_id": str(uuid7()),
            "organization_id": str(actor.organization_id),
            "actor_kind": actor.kind,
            "actor_id": str(actor.id),
            "action": event.action,
            "entity_type": event.entity_type[:200],
            "entity_id": event.entity_id[:100] if event.entity_id else None,
            "method": actor.method,
            "path": actor.path[:300],
            "ip": actor.ip,
            "user_agent": reduced,
        }
        for event in events
    ]
    await insert_rows(session, AuditEntry.__table__, rows)


audit.register_writer(write_entries)


def _filtered(filters: AuditFilters) -> Select[Any]:
    query = select(AuditEntry)
    if filters.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.action is not None:
        query = query.where(AuditEntry.action == filters.action)
    if filters.entity_type is not None:
        query = query.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        query = query.where(AuditEntry.entity_id == filters.entity_id)
    if filters.since is not None:
        query = query.where(AuditEntry.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.occurred_at < filters.until)
    return query


async def _out(session: AsyncSession, entries: Sequence[AuditEntry]) -> list[AuditEntryOut]:
    members = await members_by_id(session, [e.actor_id for e in entries if e.actor_kind == "user"])
    out = []
    for entry in entries:
        member = members.get(entry.actor_id)
        out.append(
            AuditEntryOut(
                entry_id=entry.entry_id,
                occurred_at=entry.occurred_at,
                actor_kind=entry.actor_kind,
                actor_id=entry.actor_id,
                actor_name=member.name if member else None,
                action=entry.action,
                entity_type=entry.entity_type,
                entity_id=entry.entity_id,
                method=entry.method,
                path=entry.path,
                ip=str(entry.ip) if entry.ip is not None else None,
                user_agent=entry.user_agent,
            )
        )
    return out


async def list_entries(
    session: AsyncSession, *, filters: AuditFilters, page: PageParams
) -> tuple[list[AuditEntryOut], int]:
    """A page of the audit log, newest first, and how many entries match."""
    query = _filtered(filters).order_by(AuditEntry.occurred_at.desc(), AuditEntry.entry_id.desc())
    entries, total = await paginate(session, query, page)
    return await _out(session, entries), total


EXPORT_LIMIT = 100_000


async def export_entries(session: AsyncSession, *, filters: AuditFilters) -> list[AuditEntryOut]:
    """Every matching entry (newest first, at most `EXPORT_LIMIT`), for the CSV."""
    entries = (
        await session.scalars(
            _filtered(filters).order_by(AuditEntry.occurred_at.desc()).limit(EXPORT_LIMIT)
        )
    ).all()
    return await _out(session, entries)


async def entity_types(session: AsyncSession) -> list[str]:
    """The entity types the log holds (the filter's choices)."""
    rows = await session.scalars(select(AuditEntry.entity_type).distinct().limit(200))
    return sorted(rows)
