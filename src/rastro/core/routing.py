"""A documented route without FastAPI's per-request machinery, for the hottest endpoints,
and the size-limited body read those (and other raw-body) endpoints share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.routing import request_response

from rastro.core.errors import BadRequest, PayloadTooLarge
from rastro.core.inputs import check_query_and_path


class PlainRoute(APIRoute):
    """An API route whose endpoint takes the bare `Request` and returns a `Response`.

    It appears in the OpenAPI document like any route (summary, tags, `response_model`),
    but a request reaches the endpoint without dependency resolution, body parsing or
    response validation. Errors it raises go through the application's handlers. Its query
    and path are checked like every route's (`rastro.core.inputs`); the endpoint checks the
    body it parses.
    """

    def __init__(
        self, path: str, endpoint: Callable[[Request], Awaitable[Response]], **kwargs: Any
    ) -> None:
        super().__init__(path, endpoint, **kwargs)

        async def checked(request: Request) -> Response:
            check_query_and_path(request)
            return await endpoint(request)

        self.app = request_response(checked)


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
