"""Live updates over Socket.IO (seed 002's WebSocket events), one room per organization
and narrower rooms per topic (a funnel).

A client connects with `auth: {token}` (the user's access token); it joins the room of
the token's organization and receives `hello`. Modules call `publish()` to push
`visitor_online`, `lead_created`, `new_payment`, … to everyone watching that organization,
or, with `topic=("funnel", funnel_id)`, only to the clients that joined that topic.

A module declares a topic (`LiveTopic`, e.g. "funnel"): the client emits
`join_<name>` / `leave_<name>` with `{"<name>_id": "…"}` and gets an acknowledgement
(`{"ok": true}` or `{"ok": false, "error": {"code": …}}`); the hub joins the client to the
topic's room only when the topic's `allowed` check finds the id in the client's
organization. Rooms are lost on reconnection: a client joins again after `connect`.

Messages travel between processes through PostgreSQL `LISTEN/NOTIFY` on the CRM
database, so a worker (`LivePublisher`) or any web replica can reach every client
without another broker. `publish_on_commit()` writes the notification inside a CRM
transaction: PostgreSQL delivers it when that transaction commits, never if it rolls back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
import socketio
import structlog
from psycopg import sql
from socketio.async_pubsub_manager import AsyncPubSubManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import SYSTEM, Databases, Scope
from rastro.core.errors import RastroError
from rastro.core.principal import Authenticator, Principal

log = structlog.get_logger(__name__)


CHANNEL = "rastro_live"


# A topic's room and id: ("funnel", funnel_id).
Topic = tuple[str, uuid.UUID]
# The host id of notifications written in a transaction: no manager has it, so every
# process (the writer's own too) delivers them to its clients.
COMMIT_HOST = "commit"


def room(organization_id: uuid.UUID, topic: Topic | None = None) -> str:
    """The organization's room, or one topic's room inside it."""
    if topic is None:
        return f"org:{organization_id}"
    return f"org:{organization_id}:{topic[0]}:{topic[1]}"


@dataclass(frozen=True)
class LiveTopic:
    """A room clients join by id (`join_<name>` / `leave_<name>` with `<name>_id`) once
    `allowed(session, id)` finds that id in the client's organization (the session is a
    CRM transaction scoped to it)."""

    name: str
    allowed: Callable[[AsyncSession, uuid.UUID], Awaitable[bool]]


def emit_message(event: str, data: Any, *, target: str) -> dict[str, Any]:
    """Socket.IO's pub/sub message that emits `event` to a room (what
    `AsyncPubSubManager.emit` publishes)."""
    return {
        "method": "emit",
        "event": event,
        "data": [data],
        "binary": False,
        "namespace": "/",
        "room": target,
        "skip_sid": None,
        "callback": None,
        "host_id": COMMIT_HOST,
    }


async def publish_on_commit(
    session: AsyncSession,
    organization_id: uuid.UUID,
    event: str,
    data: dict[str, Any],
    *,
    topic: Topic | None = None,
) -> None:
    """Queue a live event in the session's (CRM) transaction: PostgreSQL delivers the
    notification to every process when the transaction commits, and drops it on
    rollback, so watchers never hear of a change that did not happen."""
    message = _OrjsonCodec.dumps([emit_message(event, data, target=room(organization_id, topic))])
    if len(message) > PostgresManager.MAX_PAYLOAD:
        log.warning("live_message_too_large", size=len(message))
        return
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": message}
    )


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

    async def publish(
        self,
        organization_id: uuid.UUID,
        event: str,
        data: dict[str, Any],
        *,
        topic: Topic | None = None,
    ) -> None:
        await self._manager.emit(event, data, room=room(organization_id, topic), namespace="/")

    async def close(self) -> None:
        await self._manager.close()


class LiveHub:
    def __init__(
        self,
        databases: Callable[[], Databases],
        verifier: Authenticator,
        *,
        manager: socketio.AsyncManager | None = None,
        topics: tuple[LiveTopic, ...] = (),
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
        for topic in topics:
            self._add_topic(topic)

    def _add_topic(self, topic: LiveTopic) -> None:
        key = f"{topic.name}_id"

        async def join(sid: str, data: Any) -> dict[str, Any]:
            organization_id, topic_id = await self._topic_of(sid, key, data)
            if topic_id is None or organization_id is None:
                return {"ok": False, "error": {"code": "invalid_request"}}
            async with self._databases().crm.transaction(
                Scope.organization(organization_id)
            ) as session:
                if not await topic.allowed(session, topic_id):
                    return {"ok": False, "error": {"code": "not_found"}}
            await self.server.enter_room(sid, room(organization_id, (topic.name, topic_id)))
            return {"ok": True}

        async def leave(sid: str, data: Any) -> dict[str, Any]:
            organization_id, topic_id = await self._topic_of(sid, key, data)
            if topic_id is None or organization_id is None:
                return {"ok": False, "error": {"code": "invalid_request"}}
            await self.server.leave_room(sid, room(organization_id, (topic.name, topic_id)))
            return {"ok": True}

        self.server.on(f"join_{topic.name}", join)
        self.server.on(f"leave_{topic.name}", leave)

    async def _topic_of(
        self, sid: str, key: str, data: Any
    ) -> tuple[uuid.UUID | None, uuid.UUID | None]:
        """The client's organization and the topic id its message names (None: invalid)."""
        client = await self.server.get_session(sid)
        raw = data.get(key) if isinstance(data, dict) else None
        try:
            topic_id = uuid.UUID(raw) if isinstance(raw, str) else None
        except ValueError:
            topic_id = None
        organization = client.get("organization_id")
        return (uuid.UUID(organization) if organization else None), topic_id

    async def _connect(self, sid: str, _environ: dict[str, Any], auth: Any) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise socketio.exceptions.ConnectionRefusedError("not_authenticated")
        async with self._databases().crm.transaction(SYSTEM) as session:
            try:
                principal: Principal = await self._verifier.authenticate_token(token, session)
            except RastroError as exc:
                raise socketio.exceptions.ConnectionRefusedError(exc.code) from None
        await self.server.save_session(sid, {"organization_id": str(principal.organization_id)})
        await self.server.enter_room(sid, room(principal.organization_id))
        await self.server.emit("hello", {"organization_id": str(principal.organization_id)}, to=sid)
        return True

    async def publish(
        self,
        organization_id: uuid.UUID,
        event: str,
        data: dict[str, Any],
        *,
        topic: Topic | None = None,
    ) -> None:
        """Send an event to every live client of the organization (or of one topic)."""
        await self.server.emit(event, data, room=room(organization_id, topic))

    def asgi(self, other_app: Any) -> socketio.ASGIApp:
        return socketio.ASGIApp(self.server, other_asgi_app=other_app, socketio_path="socket.io")
