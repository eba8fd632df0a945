"""Errors with an HTTP status and a stable code, rendered as one envelope by one handler.

Every 4xx/5xx response has the body `{"error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from rastro.core.availability import RETRY_AFTER_SECONDS, is_database_unavailable


class RastroError(Exception):
    """Base of every error a client may see."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    default_message: ClassVar[str] = "The request could not be processed."
    # The request's changes are committed before the error is returned (e.g. a failed
    # sign-in attempt is recorded, a replayed refresh token revokes its session).
    keeps_changes: ClassVar[bool] = False

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = dict(headers or {})
        super().__init__(self.message)


class BadRequest(RastroError):
    pass


class NotAuthenticated(RastroError):
    status_code = 401
    code = "not_authenticated"
    default_message = "Authentication is required."


class InvalidToken(RastroError):
    status_code = 401
    code = "invalid_token"
    default_message = "The token is invalid or has been revoked."


class TokenExpired(RastroError):
    status_code = 401
    code = "token_expired"
    default_message = "The access token has expired; refresh it."


class PermissionDenied(RastroError):
    status_code = 403
    code = "forbidden"
    default_message = "You do not have permission to do this."


class NotFound(RastroError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(RastroError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class UnprocessableEntity(RastroError):
    status_code = 422
    code = "validation_error"
    default_message = "Some fields are invalid."


def field_error(field: str, message: str, *, kind: str = "value_error") -> UnprocessableEntity:
    """A 422 about one field, shaped like request validation errors (`loc`, `message`)."""
    return UnprocessableEntity(details=[{"loc": field, "message": message, "type": kind}])


class PayloadTooLarge(RastroError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class TooManyRequests(RastroError):
    status_code = 429
    code = "too_many_requests"
    default_message = "Too many requests; try again later."


class ServiceUnavailable(RastroError):
    status_code = 503
    code = "service_unavailable"
    default_message = "The service is not ready."


class DatabaseUnavailable(ServiceUnavailable):
    """The database is down, restarting or recovering: the client should try again."""

    code = "database_unavailable"
    default_message = "The database is unavailable; try again shortly."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        super().__init__(message, details=details, headers={**retry, **(headers or {})})


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def validation_details(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic errors as `{loc, message, type}` with a dotted field path."""
    return [
        {"loc": _location(err.get("loc", ())), "message": err.get("msg", ""), "type": err["type"]}
        for err in errors
    ]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": description,
        "content": {
            "application/json": {
                "example": error_body(code, description),
            }
        },
    }
    for status, code, description in [
        (401, "not_authenticated", "Authentication is required or the token is invalid."),
        (403, "forbidden", "The caller lacks the permission."),
        (422, "validation_error", "Some fields are invalid."),
    ]
}


async def _rastro_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RastroError)
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in errors):
        return JSONResponse(
            error_body("malformed_json", "The request body is not valid JSON."),
            status_code=400,
        )
    return JSONResponse(
        error_body("validation_error", "Some fields are invalid.", validation_details(errors)),
        status_code=422,
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A database that is away → 503 with `Retry-After`; any other database error is
    raised again (a 500, logged with its traceback)."""
    if not is_database_unavailable(exc):
        raise exc
    return await _rastro_error(request, DatabaseUnavailable())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RastroError, _rastro_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # SQLAlchemy's wrapped driver errors, its pool timeout, and psycopg's own (plain
    # connections and their pool) when the database cannot be reached.
    for database_error in (sa_exc.DBAPIError, sa_exc.TimeoutError, psycopg.OperationalError):
        app.add_exception_handler(database_error, _database_error)
