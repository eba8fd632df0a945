"""Live updates over Socket.IO (seed 002's WebSocket events), one room per organization.

A client connects with `auth: {token}` (the user's access token); it joins the room of
the token's organization and receives `hello`. Modules call `publish()` to push
`visitor_online`, `lead_created`, `new_payment`, … to everyone watching that organization.

Messages travel between processes through PostgreSQL `LISTEN/NOTIFY` on the CRM
database, so a worker (`LivePublisher`) or any web replica can reach every client
without another broker.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import psycopg
import socketio
import structlog
from psycopg import sql
from socketio.async_pubsub_manager import AsyncPubSubManager

from rastro.core.db import SYSTEM, Databases
from rastro.core.errors import RastroError
from rastro.core.principal import Authenticator, Principal

log = structlog.get_logger(__name__)


CHANNEL = "rastro_live"


def room(organization_id: uuid.UUID) -> str:
    return f"org:{organization_id}"


class _OrjsonCodec:
    """orjson behind the `json` module's `dumps`/`loads`: the collector publishes a message
    for most batches, and the standard library's encoder was a visible part of its cost."""

    @staticmethod
    def dumps(value: Any, **_: Any) -> str:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()

    loads = staticmethod(orjson.loads)


class PostgresManager(AsyncPubSubManager):  # type: ignore[misc]
    """Socket.IO's pub/sub across processes over PostgreSQL NOTIFY (payloads < 8 kB)."""

    name = "postgres"

    # One NOTIFY carries a JSON array of messages: under load a process sends a few
    # notifications per second instead of one round trip per event.
    MAX_PAYLOAD = 7000  # PostgreSQL's limit is 8000 bytes
    FLUSH_DELAY = 0.02

    def __init__(self, conninfo: str, *, channel: str = CHANNEL, write_only: bool = False) -> None:
        super().__init__(channel=channel, write_only=write_only, json=_OrjsonCodec)
        self._conninfo = conninfo
        self._publisher: psycopg.AsyncConnection[Any] | None = None
        self._pending: list[str] = []
        self._flusher: asyncio.Task[None] | None = None

    async def _publish(self, data: Any) -> None:
        message = self.json.dumps(data)
        if len(message) > self.MAX_PAYLOAD:
            log.warning("live_message_too_large", size=len(message))
            return
        self._pending.append(message)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.FLUSH_DELAY)
        await self.flush()

    async def flush(self) -> None:
        """Send what is pending now, in as few notifications as fit."""
        while self._pending:
            chunk: list[str] = []
            size = 2
            while self._pending and size + len(self._pending[0]) + 1 <= self.MAX_PAYLOAD:
                message = self._pending.pop(0)
                chunk.append(message)
                size += len(message) + 1
            await self._notify("[" + ",".join(chunk) + "]")

    async def _notify(self, payload: str) -> None:
        for attempt in (1, 2):
            try:
                if self._publisher is None or self._publisher.closed:
                    self._publisher = await psycopg.AsyncConnection.connect(
                        self._conninfo, autocommit=True
                    )
                await self._publisher.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))
                return
            except psycopg.OperationalError:
                self._publisher = None
                if attempt == 2:
                    log.warning("live_publish_failed")

    async def _listen(self) -> AsyncIterator[Any]:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    async for notify in conn.notifies():
                        try:
                            messages = self.json.loads(notify.payload)
                        except ValueError:
                            continue
                        for message in messages if isinstance(messages, list) else [messages]:
                            yield message
            except psycopg.OperationalError:
                log.warning("live_listen_reconnect")
                await asyncio.sleep(1)

    async def close(self) -> None:
        await self.flush()
        if self._publisher is not None:
            await self._publisher.close()


class LivePublisher:
    """Publishes live events from processes that serve no clients (the worker)."""

    def __init__(self, conninfo: str) -> None:
        self._manager = PostgresManager(conninfo, write_only=True)

    async def publish(self, organization_id: uuid.UUID, event: str, data: dict[str, Any]) -> None:
        await self._manager.emit(event, data, room=room(organization_id), namespace="/")

    async def close(self) -> None:
        await self._manager.close()


class LiveHub:
    def __init__(
        self,
        databases: Callable[[], Databases],
        verifier: Authenticator,
        *,
        manager: socketio.AsyncManager | None = None,
    ) -> None:
        self.server = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins=[],
            logger=False,
            engineio_logger=False,
            client_manager=manager,
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
