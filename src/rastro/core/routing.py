"""A documented route without FastAPI's per-request machinery, for the hottest endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.routing import request_response


class PlainRoute(APIRoute):
    """An API route whose endpoint takes the bare `Request` and returns a `Response`.

    It appears in the OpenAPI document like any route (summary, tags, `response_model`),
    but a request reaches the endpoint without dependency resolution, body parsing or
    response validation. Errors it raises go through the application's handlers.
    """

    def __init__(
        self, path: str, endpoint: Callable[[Request], Awaitable[Response]], **kwargs: Any
    ) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.app = request_response(endpoint)
