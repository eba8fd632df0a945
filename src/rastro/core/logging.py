"""Structured logs (JSON in production) and the request context: request id, access log.

Every response carries `X-Request-ID`; every log line written while handling the request
carries the same `request_id`.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import Any, Literal

import orjson
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rastro.core.errors import error_body
from rastro.core.redaction import format_exception, redact_event

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = structlog.get_logger("rastro.access")
log = structlog.get_logger("rastro")


def configure_logging(level: str, fmt: Literal["console", "json"]) -> None:
    """Route structlog and the standard library through one renderer.

    Every record, ours or a library's, passes `rastro.core.redaction` first: tracebacks and
    error fields name the error's class and SQLSTATE, never the values of a statement.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_event,
        structlog.processors.ExceptionRenderer(format_exception),
    ]
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer(
            serializer=lambda o, **_: orjson.dumps(o).decode()
        )
    else:  # prints the `exception` field rendered above
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True
    for name in ("uvicorn", "uvicorn.error", "procrastinate"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def _loggable_path(scope: Scope) -> str:
    """The request's path, or its route's template when a path parameter is a token (a
    tracking, confirmation or webhook token is a credential: never logged)."""
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str) and "token}" in template:
        return template
    return str(scope.get("path", ""))


def start_request(scope: Scope) -> str:
    """The request's id (the client's `X-Request-ID` when it is a plausible one, else a new
    one), kept in the request's state and bound to every log line written meanwhile."""
    incoming = b""
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            incoming = value
    text = incoming.decode("latin-1")
    request_id = text if _REQUEST_ID.match(text) else uuid.uuid4().hex
    scope.setdefault("state", {})["request_id"] = request_id
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return request_id


def internal_error(request_id: str) -> tuple[Message, Message]:
    """The 500 answer (start and body) to a request that crashed: the envelope, no trace."""
    body = orjson.dumps(
        error_body(
            "internal_error",
            "Something went wrong on our side. The error was logged.",
            {"request_id": request_id},
        )
    )
    start = {
        "type": "http.response.start",
        "status": 500,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", request_id.encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


def log_access(scope: Scope, status: int, started: float) -> None:
    """The request's access line (none for the dashboard's static assets)."""
    path = _loggable_path(scope)
    if not path.startswith("/assets/"):
        access_log.info(
            "request",
            method=scope.get("method"),
            path=path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )


class RequestContextMiddleware:
    """Assigns a request id, logs one access line per request, turns crashes into a 500 envelope.

    Sits outside the routing so it also covers errors raised by other middleware; no stack
    trace ever reaches the client. (`rastro.core.routing`'s direct routes, served before
    the middleware, do the same with the same functions.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = start_request(scope)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled_error", path=scope.get("path"))
            if response_started:
                raise
            start, body = internal_error(request_id)
            status = 500
            await send(start)
            await send(body)
        finally:
            log_access(scope, status, started)
