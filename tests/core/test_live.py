"""Live updates: Socket.IO authenticated by the user's token, one room per organization,
events published from another process (the worker) through PostgreSQL NOTIFY."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import socketio

from rastro.core.db import libpq_url
from rastro.core.live import LivePublisher
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
