"""The access audit log for administrators: filtered pages and a CSV download."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from rastro.core.csv_export import csv_response
from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.privacy.permissions import Admin
from rastro.privacy.schemas import AuditAction, AuditEntryOut, AuditFilters
from rastro.privacy.service import audit

router = APIRouter(prefix="/api/privacy", route_class=TransactionalRoute, responses=ERROR_RESPONSES)


async def audit_filters(
    actor_id: uuid.UUID | None = None,
    action: AuditAction | None = None,
    entity_type: Annotated[str | None, Query(max_length=200)] = None,
    entity_id: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditFilters:
    return AuditFilters(
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        since=since,
        until=until,
    )


Filters = Annotated[AuditFilters, Depends(audit_filters)]

CSV_HEADER = (
    "occurred_at",
    "actor",
    "actor_kind",
    "actor_id",
    "action",
    "entity_type",
    "entity_id",
    "method",
    "path",
    "ip",
    "user_agent",
)


@router.get("/audit", response_model=Page[AuditEntryOut], tags=["privacy"])
async def list_audit(
    _: Admin, session: CrmSession, params: Pagination, filters: Filters
) -> Page[AuditEntryOut]:
    """The access audit log, newest first: who read, exported or changed what, when and
    from where; filtered by actor, action, entity and period."""
    entries, total = await audit.list_entries(session, filters=filters, page=params)
    return Page.of(entries, total, params)


@router.get("/audit/entity-types", response_model=list[str], tags=["privacy"])
async def audit_entity_types(_: Admin, session: CrmSession) -> list[str]:
    """The entity types the log holds (the filter's choices)."""
    return await audit.entity_types(session)


@router.get(
    "/audit/export",
    tags=["privacy"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The audit log as CSV"}},
)
async def export_audit(_: Admin, session: CrmSession, filters: Filters) -> Response:
    """The filtered audit log (up to 100,000 entries) as a CSV file."""
    entries = await audit.export_entries(session, filters=filters)
    return csv_response(
        "audit-log.csv",
        CSV_HEADER,
        (
            (
                e.occurred_at,
                e.actor_name,
                e.actor_kind,
                str(e.actor_id),
                e.action,
                e.entity_type,
                e.entity_id,
                e.method,
                e.path,
                e.ip,
                e.user_agent,
            )
            for e in entries
        ),
    )
