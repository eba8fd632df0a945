"""The collector's durability under `kill -9`: a real server process (uvicorn with the
app's group writer) is killed with SIGKILL while batches stream in; every event it had
acknowledged (HTTP 200 with the event `stored` or `duplicate`) is in the database after the
restart, and the client's retries of the batches that got no answer are stored once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from rastro.config import Settings
from rastro.core.db import Scope
from rastro.tracking.models import Event, PageView
from tests.tracking.factories import CHROME, ORIGIN, Site, event, make_site, now_ms

BATCH_EVENTS = 10  # a page view and nine clicks
SENDERS = 6
KILL_AFTER = 40  # acknowledged batches before the kill


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(settings: Settings) -> dict[str, str]:
    assert settings.secret_key is not None
    assert settings.encryption_key is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "BI_"))}
    env.update(
        RASTRO_ENV="test",
        RASTRO_DATA_DIR=str(settings.data_dir),
        CRM_DATABASE_URL=str(settings.crm_database_url),
        BI_DATABASE_URL=str(settings.bi_database_url),
        SECRET_KEY=settings.secret_key.get_secret_value(),
        ENCRYPTION_KEY=settings.encryption_key.get_secret_value(),
        LOG_LEVEL="WARNING",
    )
    return env


class Server:
    """`uvicorn rastro.app:asgi_from_env` on the test databases, as `rastro serve` runs it."""

    def __init__(self, settings: Settings) -> None:
        self.env = _env(settings)
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", "rastro.app:asgi_from_env", "--factory"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--lifespan", "on"]
        command += ["--log-level", "warning", "--no-access-log"]
        self.process = subprocess.Popen(command, env=self.env)
        deadline = time.monotonic() + 180  # a loaded CI machine starts it slowly
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the server exited while starting"
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server did not become ready")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    running = Server(settings)
    yield running
    running.stop()


def _batch(site: Site, n: int) -> dict[str, Any]:
    view = event(url=f"{ORIGIN}/lp?utm_source=google&utm_campaign=k{n}", offset=-5)
    clicks = [event("click", offset=-4, label=f"b{i}") for i in range(BATCH_EVENTS - 1)]
    return {
        "site": site.key,
        "session_id": f"s_{n:022d}",
        "visitor_id": f"v_{n:022d}",
        "sent_at": now_ms(),
        "context": {"screen": "390x844", "language": "pt-BR"},
        "events": [view, *clicks],
    }


def _ids(body: dict[str, Any]) -> list[str]:
    return [str(e["event_id"]) for e in body["events"]]


async def _send(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> set[str] | None:
    """The event ids the server acknowledged (None: no answer, the client retries)."""
    headers = {"content-type": "text/plain;charset=UTF-8", "origin": ORIGIN, "user-agent": CHROME}
    try:
        response = await http.post(
            f"{url}/api/collect", content=orjson.dumps(body), headers=headers
        )
    except httpx.TransportError:
        return None
    if response.status_code != 200:
        return None
    return {
        str(r["event_id"])
        for r in response.json()["results"]
        if r["status"] in ("stored", "duplicate")
    }


async def test_no_acknowledged_event_is_lost_when_the_server_is_killed(client, databases, server):
    site = await make_site(client, databases)
    await asyncio.to_thread(server.start)
    acknowledged: set[str] = set()
    answered_bodies: list[dict[str, Any]] = []
    unanswered: list[dict[str, Any]] = []
    answered = 0
    next_batch = iter(range(1, 10_000))
    killed = asyncio.Event()

    async def sender(http: httpx.AsyncClient) -> None:
        nonlocal answered
        while not killed.is_set():
            body = _batch(site, next(next_batch))
            got = await _send(http, server.url, body)
            if got is None:
                unanswered.append(body)
                continue
            acknowledged.update(got)
            answered_bodies.append(body)
            answered += 1
            if answered >= KILL_AFTER and not killed.is_set():
                killed.set()
                await asyncio.to_thread(server.kill)  # while the others are mid-request

    async with httpx.AsyncClient(timeout=60) as http:
        await asyncio.gather(*(sender(http) for _ in range(SENDERS)))
    assert len(acknowledged) >= KILL_AFTER * BATCH_EVENTS

    # Restarted, the server takes the unanswered batches again (the tracker retries them)
    # and one acknowledged batch twice more: each event is stored once.
    await asyncio.to_thread(server.start)
    async with httpx.AsyncClient(timeout=60) as http:
        for body in [*unanswered, answered_bodies[0]]:
            assert await _send(http, server.url, body) == set(_ids(body))

    scope = Scope.organization(site.account.organization_id)
    async with databases.bi.transaction(scope) as bi:
        views = [str(v) for v in await bi.scalars(select(PageView.view_id))]
        clicks = [str(e) for e in await bi.scalars(select(Event.event_id))]
    stored = views + clicks
    assert len(stored) == len(set(stored))  # nothing twice
    missing = acknowledged - set(stored)
    assert not missing, f"{len(missing)} acknowledged events lost"
    retried = {i for body in unanswered for i in _ids(body)}
    assert retried <= set(stored)
