"""Live updates: Socket.IO authenticated by the user's token, one room per organization,
events published from another process (the worker) through PostgreSQL NOTIFY."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import socketio

from rastro.core.db import libpq_url
from rastro.core.live import LiveHub, LivePublisher, PostgresManager, room
from tests.auth.factories import make_account


async def _token(base_url: str, account) -> str:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/auth/login", json={"email": account.email, "password": account.password}
        )
    return response.json()["access_token"]


class Watcher:
    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        self.client.on("*", self._any)

    async def _any(self, event: str, data: object) -> None:
        await self.events.put((event, data))

    async def connect(self, base_url: str, token: str | None) -> None:
        await self.client.connect(
            base_url,
            socketio_path="/socket.io",
            auth={"token": token} if token else None,
            transports=["websocket"],
            wait_timeout=10,
        )

    async def next(self, wait: float = 5) -> tuple[str, object]:
        return await asyncio.wait_for(self.events.get(), wait)


async def test_connection_needs_a_valid_token(live_server):
    for token in (None, "not-a-token"):
        watcher = Watcher()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await watcher.connect(live_server.base_url, token)


async def test_events_reach_only_the_organization_they_belong_to(live_server, databases):
    a, b = await make_account(databases), await make_account(databases)
    watcher_a, watcher_b = Watcher(), Watcher()
    await watcher_a.connect(live_server.base_url, await _token(live_server.base_url, a))
    await watcher_b.connect(live_server.base_url, await _token(live_server.base_url, b))
    try:
        assert await watcher_a.next() == ("hello", {"organization_id": str(a.organization_id)})
        assert await watcher_b.next() == ("hello", {"organization_id": str(b.organization_id)})
        publisher = LivePublisher(libpq_url(live_server.settings.crm_database_url))
        payment = {"payment_id": str(uuid.uuid4()), "amount": "197.00", "currency": "BRL"}
        await publisher.publish(a.organization_id, "new_payment", payment)
        await publisher.close()
        assert await watcher_a.next() == ("new_payment", payment)
        with pytest.raises(TimeoutError):
            await watcher_b.next(wait=1)
    finally:
        await watcher_a.client.disconnect()
        await watcher_b.client.disconnect()


async def _until(condition, wait: float = 5) -> bool:
    deadline = asyncio.get_running_loop().time() + wait
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_a_process_publishes_only_what_a_client_of_some_process_watches(settings):
    """Two processes' hubs on the same channel (a test's own, so others' clients do not
    count): one with a client of organization A, one publishing for A and B."""
    channel = f"rastro_live_test_{uuid.uuid4().hex[:8]}"
    conninfo = libpq_url(settings.crm_database_url)
    org_a, org_b = uuid.uuid4(), uuid.uuid4()
    watching = PostgresManager(conninfo, channel=channel)
    publishing = PostgresManager(conninfo, channel=channel)
    socketio.AsyncServer(async_mode="asgi", client_manager=watching)
    hub = LiveHub(lambda: None, None, manager=publishing)  # type: ignore[arg-type]
    watching.initialize()  # what a process's first client does
    try:
        # Nothing is known before the process has listened a moment: everything goes out.
        assert hub.watched(org_a)
        assert hub.watched(org_b)
        assert await _until(lambda: not hub.watched(org_a) and not hub.watched(org_b))

        sid = await watching.connect("eio-1", "/")
        await watching.enter_room(sid, "/", room(org_a))
        assert await _until(lambda: hub.watched(org_a))
        assert not hub.watched(org_b)

        # The client leaves: the last announcement says so.
        await watching.disconnect(sid, "/", ignore_queue=True)
        await watching.announce()
        assert await _until(lambda: not hub.watched(org_a))
    finally:
        for manager in (watching, publishing):
            manager.thread.cancel()
            await manager.close()
