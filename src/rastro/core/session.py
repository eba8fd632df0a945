"""Database sessions per request, committed once at the end of the request.

Routers use `TransactionalRoute`: after the endpoint returned without error, every
session the request opened is committed *before* the response is sent, so an
acknowledged write is durable; on error they are rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core import audit
from rastro.core.db import Databases, Scope
from rastro.core.errors import Conflict, RastroError
from rastro.core.inputs import check_request

_STATE_KEY = "db_sessions"


def _sessions(request: Request) -> dict[str, AsyncSession]:
    sessions: dict[str, AsyncSession] | None = getattr(request.state, _STATE_KEY, None)
    if sessions is None:
        sessions = {}
        setattr(request.state, _STATE_KEY, sessions)
    return sessions


def request_sessions(request: Request) -> list[AsyncSession]:
    return list(_sessions(request).values())


def _open(request: Request, name: str) -> AsyncSession:
    sessions = _sessions(request)
    if name not in sessions:
        databases: Databases = request.app.state.databases
        principal = getattr(request.state, "principal", None)
        scope: Scope | None = principal.scope if principal is not None else None
        sessions[name] = getattr(databases, name).session(scope)
    return sessions[name]


async def crm_session(request: Request) -> AsyncSession:
    """The request's CRM session (scoped to the caller once `require()` has run)."""
    return _open(request, "crm")


async def bi_session(request: Request) -> AsyncSession:
    """The request's BI session (scoped to the caller once `require()` has run)."""
    return _open(request, "bi")


async def _finish(request: Request, *, commit: bool) -> None:
    sessions = _sessions(request)
    try:
        for session in sessions.values():
            if commit:
                await session.commit()
            else:
                await session.rollback()
    finally:
        for session in sessions.values():
            await session.close()
        sessions.clear()


class TransactionalRoute(APIRoute):
    """Commits the request's sessions after a successful endpoint, before responding.
    Inputs PostgreSQL cannot store are refused first (`rastro.core.inputs`); what the
    access audit records of the request is written in the same transaction
    (`rastro.core.audit`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            await check_request(request)
            try:
                response = await handler(request)
            except RastroError as exc:
                await _finish(request, commit=exc.keeps_changes)
                raise
            except IntegrityError as exc:  # a constraint no service check caught first
                await _finish(request, commit=False)
                raise Conflict("The change conflicts with existing data.") from exc
            except BaseException:
                await _finish(request, commit=False)
                raise
            if response.status_code < 400 and hasattr(request.state, "principal"):
                try:
                    await audit.write(_open(request, "crm"), request, response)
                except BaseException:
                    await _finish(request, commit=False)  # no audit entry, no change
                    raise
            try:
                await _finish(request, commit=response.status_code < 400)
            except IntegrityError as exc:
                raise Conflict("The change conflicts with existing data.") from exc
            return response

        return handle
