"""Live updates over Socket.IO (seed 002's WebSocket events), one room per organization.

A client connects with `auth: {token}` (the user's access token); it joins the room of
the token's organization and receives `hello`. Modules call `publish()` to push
`visitor_online`, `new_payment`, … to everyone watching that organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol

import socketio
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import SYSTEM, Databases
from rastro.core.errors import RastroError
from rastro.core.principal import Principal

log = structlog.get_logger(__name__)


class TokenVerifier(Protocol):
    async def authenticate_token(self, token: str, session: AsyncSession) -> Principal: ...


def room(organization_id: uuid.UUID) -> str:
    return f"org:{organization_id}"


class LiveHub:
    def __init__(self, databases: Callable[[], Databases], verifier: TokenVerifier) -> None:
        self.server = socketio.AsyncServer(
            async_mode="asgi", cors_allowed_origins=[], logger=False, engineio_logger=False
        )
        self._databases = databases
        self._verifier = verifier
        self.server.on("connect", self._connect)

    async def _connect(self, sid: str, _environ: dict[str, Any], auth: Any) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise socketio.exceptions.ConnectionRefusedError("not_authenticated")
        async with self._databases().crm.transaction(SYSTEM) as session:
            try:
                principal: Principal = await self._verifier.authenticate_token(token, session)
            except RastroError as exc:
                raise socketio.exceptions.ConnectionRefusedError(exc.code) from None
        await self.server.enter_room(sid, room(principal.organization_id))
        await self.server.emit("hello", {"organization_id": str(principal.organization_id)}, to=sid)
        return True

    async def publish(self, organization_id: uuid.UUID, event: str, data: dict[str, Any]) -> None:
        """Send an event to every live client of the organization."""
        await self.server.emit(event, data, room=room(organization_id))

    def asgi(self, other_app: Any) -> socketio.ASGIApp:
        return socketio.ASGIApp(self.server, other_asgi_app=other_app, socketio_path="socket.io")
