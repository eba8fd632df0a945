"""The access audit's plumbing: what a request did that the audit log records.

A route declares a read of personal data with `audited(...)` (a dependency); the rest is
found from the request itself: a CSV download is an export, a change made with an
administrator's permission (members, roles, credentials, settings) is an admin action, and
any DELETE is a deletion. `TransactionalRoute` hands the request's events to the writer
the privacy module registers, in the request's CRM transaction (one INSERT per audited
request, none for the others), so an event is kept exactly when the request succeeded.

`core` imports no module: the writer is registered at import by the module that owns the
table (`register_writer`); with none registered nothing is recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.permissions import min_role_of

READ = "read"
LIST = "list"
EXPORT = "export"
ADMIN = "admin"
DELETE = "delete"

_EVENTS_KEY = "audit_events"
_PERMISSION_KEY = "audit_permission"
_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class AuditEvent:
    action: str  # read | list | export | admin | delete
    entity_type: str  # "lead", "contact", ... or the route's path for admin actions
    entity_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditActor:
    organization_id: uuid.UUID
    kind: str  # user | api_key
    id: uuid.UUID
    ip: str | None
    user_agent: str | None
    method: str
    path: str  # the route's template (`/api/v1/crm/leads/{lead_id}`), never the query


AuditWriter = Callable[[AsyncSession, AuditActor, Sequence[AuditEvent]], Awaitable[None]]
_writer: list[AuditWriter] = []


def register_writer(writer: AuditWriter) -> None:
    """Where audit events go (the privacy module's table); the last one registered wins."""
    _writer[:] = [writer]


def record(request: Request, event: AuditEvent) -> None:
    """Add an event to the request's audit (written if the request succeeds)."""
    events: list[AuditEvent] | None = getattr(request.state, _EVENTS_KEY, None)
    if events is None:
        events = []
        setattr(request.state, _EVENTS_KEY, events)
    events.append(event)


def audited(
    action: str, entity_type: str, id_param: str | None = None
) -> Callable[[Request], Awaitable[None]]:
    """Route dependency: the route reads personal data of `entity_type` (the path
    parameter `id_param` names which one)."""

    async def dependency(request: Request) -> None:
        entity_id = request.path_params.get(id_param) if id_param else None
        record(request, AuditEvent(action, entity_type, str(entity_id) if entity_id else None))

    return dependency


def note_permission(request: Request, permission: str | None) -> None:
    """Called by `require()`: the permission the route asked for (admin actions)."""
    setattr(request.state, _PERMISSION_KEY, permission)


def _route_path(request: Request) -> str:
    """The request's path with its parameters named (`/api/leads/{lead_id}`): which
    endpoint, without the values (an e-mail in a path stays out of the log)."""
    segments = request.url.path.split("/")
    names = {str(value): name for name, value in request.path_params.items()}
    return "/".join(f"{{{names[s]}}}" if s in names else s for s in segments)


def pending(request: Request, response: Response) -> list[AuditEvent]:
    """The events of a finished request: the declared ones, and the ones its method,
    permission and response make it (export, admin action, deletion)."""
    events: list[AuditEvent] = list(getattr(request.state, _EVENTS_KEY, None) or [])
    path = _route_path(request)
    first_param = next(iter(request.path_params.values()), None)
    entity_id = str(first_param) if first_param is not None else None
    media_type = response.headers.get("content-type", "")
    if media_type.startswith("text/csv") and not any(e.action == EXPORT for e in events):
        events.append(AuditEvent(EXPORT, path, entity_id))
    if request.method in _CHANGES:
        permission: str | None = getattr(request.state, _PERMISSION_KEY, None)
        if request.method == "DELETE":
            events.append(AuditEvent(DELETE, path, entity_id))
        elif permission is not None and min_role_of(permission) == "admin":
            events.append(AuditEvent(ADMIN, path, entity_id))
    return events


async def write(session: AsyncSession, request: Request, response: Response) -> None:
    """Write the request's events through the registered writer (one INSERT), if any."""
    principal = getattr(request.state, "principal", None)
    if not _writer or principal is None:
        return
    events = pending(request, response)
    if not events:
        return
    actor = AuditActor(
        organization_id=principal.organization_id,
        kind=principal.kind,
        id=principal.id,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        method=request.method,
        path=_route_path(request),
    )
    await _writer[0](session, actor, events)
