"""A fake RD Station Marketing events API (`POST /platform/events`): Bearer token, event
validation like the real API (`errors[{error_type, error_message, path}]`)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake

REQUIRED = {
    "CONVERSION": ("conversion_identifier", "email"),
    "OPPORTUNITY": ("email", "funnel_name"),
    "SALE": ("email", "funnel_name"),
    "OPPORTUNITY_LOST": ("email", "funnel_name"),
}


def _error(error_type: str, message: str, path: str) -> Response:
    return JSONResponse(
        {"errors": [{"error_type": error_type, "error_message": message, "path": path}]},
        status_code=400,
    )


class FakeRdStation(ScriptableFake):
    def __init__(self, token: str) -> None:
        super().__init__(self._handle)
        self.token = token
        self.events: list[dict[str, Any]] = []

    @property
    def contacts(self) -> set[str]:
        return {e["payload"]["email"] for e in self.events}

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse(
                {"errors": {"error_type": "UNAUTHORIZED", "error_message": "Invalid token."}},
                status_code=401,
            )
        if request.method != "POST" or recorded.path != "/platform/events":
            return JSONResponse({"errors": {"error_type": "NOT_FOUND"}}, status_code=404)
        body = recorded.json
        if not isinstance(body, dict):
            return _error("INVALID_FORMAT", "The body must be an object.", "$.body")
        event_type = body.get("event_type")
        if event_type not in REQUIRED:
            return _error(
                "INVALID_OPTION", "Must be one of the valid options.", "$.body.event_type"
            )
        if request.query_params.get("event_type") != event_type.lower():
            return _error("INVALID_OPTION", "event_type query must match.", "$.query.event_type")
        if body.get("event_family") != "CDP":
            return _error(
                "INVALID_OPTION", "Must be one of the valid options.", "$.body.event_family"
            )
        payload = body.get("payload")
        if not isinstance(payload, dict):
            return _error("CANNOT_BE_NULL", "Cannot be null.", "$.body.payload")
        for name in REQUIRED[event_type]:
            if not payload.get(name):
                return _error("CANNOT_BE_NULL", "Cannot be null.", f"$.body.payload.{name}")
        event_uuid = str(uuid.uuid4())
        self.events.append({**body, "event_uuid": event_uuid})
        return JSONResponse({"event_uuid": event_uuid})
