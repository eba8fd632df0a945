"""A documented route without FastAPI's per-request machinery, for the hottest endpoints,
and the size-limited body read those (and other raw-body) endpoints share.

A `PlainRoute(..., direct=True)` (a fixed path, no parameters) is served before the
application's middleware and router (`serve_direct`, called by `rastro.app.RastroApp`):
the collector's request otherwise passes nine layers of ASGI middleware (FastAPI's error,
telemetry, body-limit and exit-stack layers, Starlette's exception layer, the request
context and the compressor) and the router on the way in and again with each message on
the way out. A direct route keeps what those layers give it — the request id and its
access line, the error envelope through the application's exception handlers, the query
and path checks — and skips the rest: its answers are never compressed, and it must read
its own body with a size limit (`read_body`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.routing import request_response
from starlette.types import Receive, Scope, Send

from rastro.core.errors import BadRequest, PayloadTooLarge
from rastro.core.inputs import check_query_and_path
from rastro.core.logging import internal_error, log, log_access, start_request

Endpoint = Callable[[Request], Awaitable[Response]]


class PlainRoute(APIRoute):
    """An API route whose endpoint takes the bare `Request` and returns a `Response`.

    It appears in the OpenAPI document like any route (summary, tags, `response_model`),
    but a request reaches the endpoint without dependency resolution, body parsing or
    response validation. Errors it raises go through the application's handlers. Its query
    and path are checked like every route's (`rastro.core.inputs`); the endpoint checks the
    body it parses.
    """

    def __init__(
        self, path: str, endpoint: Endpoint, *, direct: bool = False, **kwargs: Any
    ) -> None:
        """`direct`: served before the middleware (`serve_direct`); a fixed path only."""
        super().__init__(path, endpoint, **kwargs)
        if direct and self.param_convertors:
            raise ValueError(f"a direct route has a fixed path: {path}")
        self.direct = direct
        self.plain_endpoint = endpoint

        async def checked(request: Request) -> Response:
            check_query_and_path(request)
            return await endpoint(request)

        self.app = request_response(checked)


def _handler(handlers: dict[Any, Callable[..., Any]], exc: Exception) -> Callable[..., Any] | None:
    for kind in type(exc).__mro__:
        if kind in handlers:
            return handlers[kind]
    return None


async def serve_direct(
    route: PlainRoute,
    handlers: dict[Any, Callable[..., Any]],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Serve a direct route's request (`scope["app"]` already set) as the middleware would:
    a request id on the answer and in the log lines, the route's errors answered by the
    application's `handlers` (by exception class), anything else a logged 500 envelope,
    one access line."""
    request_id = start_request(scope)
    started = time.perf_counter()
    status = 500
    answering = False
    request = Request(scope, receive, send)
    try:
        try:
            check_query_and_path(request)
            response = await route.plain_endpoint(request)
        except Exception as exc:
            handler = _handler(handlers, exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        response.raw_headers.append((b"x-request-id", request_id.encode()))
        status, answering = response.status_code, True
        await response(scope, receive, send)
    except Exception:
        log.exception("unhandled_error", path=scope.get("path"))
        if answering:  # the answer was on its way: nothing else can be sent
            raise
        status = 500
        start, body = internal_error(request_id)
        await send(start)
        await send(body)
    finally:
        log_access(scope, status, started)


async def read_body(request: Request, limit: int, message: str) -> bytes:
    """The raw body, refused with 413 (`message`) as soon as it passes `limit` bytes —
    by its declared length, or while it streams in."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(message)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(message)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_fields(request: Request, limit: int, message: str) -> tuple[dict[str, Any], bool]:
    """A JSON object or an HTML form's fields (`application/x-www-form-urlencoded`, UTF-8)
    as a dict, and whether it came from a form: 413 past `limit`, 400 when neither."""
    raw = await read_body(request, limit, message)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)), True
        except UnicodeDecodeError:
            raise BadRequest("The form is not UTF-8.") from None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON.", details=None) from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body, False
