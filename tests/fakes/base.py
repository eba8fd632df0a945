"""A scriptable HTTP server on 127.0.0.1 for outbound-call tests.

Platform fakes build on it: they validate requests like the real API and answer like it;
tests can queue failures (429 with Retry-After, 5xx, slow answers) before the real answer.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None


@dataclass
class Scripted:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[Request, RecordedRequest], Awaitable[Response]]


class FakeServer:
    """Runs a Starlette app with uvicorn in a thread; `handler` answers unscripted requests."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        self.script: deque[Scripted] = deque()
        self._handler = handler or self._default
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    async def _default(self, _request: Request, recorded: RecordedRequest) -> Response:
        return JSONResponse({"ok": True, "path": recorded.path})

    async def _dispatch(self, request: Request) -> Response:
        body = await request.body()
        recorded = RecordedRequest(request.method, request.url.path, dict(request.headers), body)
        try:
            recorded.json = await request.json() if body else None
        except ValueError:
            recorded.json = None
        self.requests.append(recorded)
        if self.script:
            step = self.script.popleft()
            if step.delay:
                await asyncio.sleep(step.delay)
            return JSONResponse(step.body, status_code=step.status, headers=step.headers)
        return await self._handler(request, recorded)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeServer:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        app = Starlette(routes=[Route("/{path:path}", self._dispatch, methods=methods)])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve()), daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
