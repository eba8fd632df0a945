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

A web process publishes an organization's events only while someone watches it (issue 23:
the collector publishes for most batches, and nobody watches most organizations most of the
time). Watching is shared across processes on the same channel: each process announces the
organization rooms its own clients are in (`PRESENCE` messages: on a room's first client,
then every `PRESENCE_INTERVAL` seconds while it has clients, once more when the last one
left, and in answer to a process that starts listening), and an announcement expires after
`PRESENCE_TTL`. Until a process has listened for `PRESENCE_GRACE` seconds it publishes
everything, as it does when it cannot listen. A client that just connected may miss what
happened in the fraction of a second before the other processes heard of it; a dashboard
loads its state when it connects.
"""

from __future__ import annotations

import asyncio
import time
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
# Who watches which organization (see the module's docstring).
PRESENCE = "rastro_presence"
PRESENCE_INTERVAL = 10.0
PRESENCE_TTL = 3 * PRESENCE_INTERVAL
PRESENCE_GRACE = 1.0


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


def _is_organization_room(name: object) -> bool:
    return isinstance(name, str) and name.startswith("org:") and name.count(":") == 1


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
        # Presence: what each process announced (expiry on this process's clock, rooms).
        self._hosts: dict[str, tuple[float, frozenset[str]]] = {}
        self._listening_since: float | None = None
        self._announced: frozenset[str] = frozenset()
        self._announcer: asyncio.Task[None] | None = None

    def local_rooms(self) -> frozenset[str]:
        """The organization rooms this process's clients are in."""
        rooms = self.rooms.get("/", {})
        return frozenset(r for r, members in rooms.items() if members and _is_organization_room(r))

    def watched(self, organization_room: str) -> bool:
        """Whether a client of any process is in the room (True while that is not known
        yet: this process has not listened for `PRESENCE_GRACE` seconds)."""
        if self.rooms.get("/", {}).get(organization_room):
            return True
        since = self._listening_since
        now = time.monotonic()
        if since is None or now - since < PRESENCE_GRACE:
            return True
        return any(
            organization_room in rooms and expires > now for expires, rooms in self._hosts.values()
        )

    async def enter_room(self, sid: str, namespace: str, room: str, eio_sid: Any = None) -> None:
        new = _is_organization_room(room) and not self.rooms.get(namespace, {}).get(room)
        await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        if new and namespace == "/" and self.rooms.get(namespace, {}).get(room):
            await self.announce()  # this room's first client here

    async def announce(self, *, query: bool = False) -> None:
        """Tell every process which organization rooms this one's clients are in (`query`:
        and ask them to say theirs); keeps announcing while there are any."""
        rooms = self.local_rooms()
        self._announced = rooms
        await self._publish(
            {"method": PRESENCE, "host_id": self.host_id, "rooms": sorted(rooms), "query": query}
        )
        if rooms and (self._announcer is None or self._announcer.done()):
            self._announcer = asyncio.create_task(self._keep_announcing())

    async def _keep_announcing(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_INTERVAL)
            rooms = self.local_rooms()
            if not rooms and not self._announced:
                return
            await self.announce()

    async def _heard(self, message: dict[str, Any]) -> None:
        host = message.get("host_id")
        rooms = message.get("rooms")
        if isinstance(host, str) and isinstance(rooms, list):
            self._hosts[host] = (time.monotonic() + PRESENCE_TTL, frozenset(map(str, rooms)))
        if message.get("query") and host != self.host_id and self.local_rooms():
            await self.announce()

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
                    # What this process missed while it was not listening: others say again.
                    self._listening_since = time.monotonic()
                    await self.announce(query=True)
                    async for notify in conn.notifies():
                        try:
                            messages = self.json.loads(notify.payload)
                        except ValueError:
                            continue
                        for message in messages if isinstance(messages, list) else [messages]:
                            if isinstance(message, dict) and message.get("method") == PRESENCE:
                                await self._heard(message)
                            else:
                                yield message
            except psycopg.OperationalError:
                self._listening_since = None
                log.warning("live_listen_reconnect")
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._announcer is not None:
            self._announcer.cancel()
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

    def watched(self, organization_id: uuid.UUID) -> bool:
        """Whether a client of any process watches the organization (a topic's clients are
        in their organization's room too)."""
        manager = self.server.manager
        if isinstance(manager, PostgresManager):
            if not self.server.manager_initialized:  # start listening: presence comes in
                self.server.manager_initialized = True
                manager.initialize()
            return manager.watched(room(organization_id))
        return bool(manager.rooms.get("/", {}).get(room(organization_id)))

    async def publish(
        self,
        organization_id: uuid.UUID,
        event: str,
        data: dict[str, Any],
        *,
        topic: Topic | None = None,
    ) -> None:
        """Send an event to every live client of the organization (or of one topic); nothing
        when no process has a client watching it."""
        if self.watched(organization_id):
            await self.server.emit(event, data, room=room(organization_id, topic))

    def asgi(self, other_app: Any) -> socketio.ASGIApp:
        return socketio.ASGIApp(self.server, other_asgi_app=other_app, socketio_path="socket.io")
