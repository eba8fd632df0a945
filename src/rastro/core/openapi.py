"""The error answers every operation documents, added to the OpenAPI document in one place.

Any route may answer with the error envelope (`rastro.core.errors`) for reasons that do not
depend on the route: a body that is not JSON (400), a missing or invalid token or site key
(401), a missing permission or origin (403), an id in the path or the body that names
nothing (404), a write that conflicts with stored data (409), a field that is invalid (422).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from rastro.core.errors import error_body

_WRITES = {"post", "put", "patch", "delete"}
_ERRORS = {
    400: ("bad_request", "The body is not valid JSON or not the expected shape."),
    401: ("not_authenticated", "Authentication is required, or the token or site key is invalid."),
    403: ("forbidden", "The caller lacks the permission, or the origin is not allowed."),
    404: ("not_found", "Nothing with this id in the caller's organization."),
    409: ("conflict", "The change conflicts with existing data."),
    422: ("validation_error", "Some fields are invalid."),
}


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    if not path.startswith("/api/"):
        return []
    statuses = [401, 403]
    has_body = "requestBody" in operation or method in _WRITES
    if has_body:
        statuses.append(400)
    if "{" in path or has_body:  # an id in the path or the body
        statuses.append(404)
    if method in _WRITES:
        statuses.append(409)
    if "requestBody" in operation or operation.get("parameters"):
        statuses.append(422)
    return statuses


def document_errors(app: FastAPI) -> None:
    """Make `app.openapi()` list, on every operation, the error answers it can give."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status in _statuses(path, method, operation):
                    code, description = _ERRORS[status]
                    responses.setdefault(
                        str(status),
                        {
                            "description": description,
                            "content": {
                                "application/json": {"example": error_body(code, description)}
                            },
                        },
                    )
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
