"""A fake Pipedrive API v2 (persons, deals, person search): `x-api-token` header,
`{success, data}` answers, validation like the real API."""

from __future__ import annotations

import itertools
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake


def _error(status: int, message: str) -> Response:
    return JSONResponse(
        {"success": False, "error": message, "code": "ERR_SCHEMA_VALIDATION_FAILED"},
        status_code=status,
    )


class FakePipedrive(ScriptableFake):
    def __init__(self, token: str) -> None:
        super().__init__(self._handle)
        self.token = token
        self.persons: dict[int, dict[str, Any]] = {}
        self.deals: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.headers.get("x-api-token") != self.token:
            return JSONResponse(
                {"success": False, "error": "unauthorized access", "errorCode": 401},
                status_code=401,
            )
        body = recorded.json
        path, method = recorded.path, request.method
        if method == "GET" and path == "/api/v2/persons/search":
            term = request.query_params.get("term", "")
            if request.query_params.get("fields") != "email" or len(term) < 1:
                return _error(400, "term and fields are required")
            items = [
                {"result_score": 1.0, "item": {"id": p["id"], "type": "person", "name": p["name"]}}
                for p in self.persons.values()
                if any(e["value"].lower() == term.lower() for e in p.get("emails", []))
            ]
            return JSONResponse(
                {
                    "success": True,
                    "data": {"items": items},
                    "additional_data": {"next_cursor": None},
                }
            )
        if method == "POST" and path == "/api/v2/persons":
            if (
                not isinstance(body, dict)
                or not isinstance(body.get("name"), str)
                or not body["name"]
            ):
                return _error(400, "Validation failed: name: Parameter 'name' is required")
            for key in ("emails", "phones"):
                entries = body.get(key, [])
                if not isinstance(entries, list) or any(
                    not isinstance(e, dict) or not isinstance(e.get("value"), str) for e in entries
                ):
                    return _error(400, f"Validation failed: {key}: must be an array of objects")
            person_id = next(self._ids)
            self.persons[person_id] = {"id": person_id, **body}
            return JSONResponse({"success": True, "data": self.persons[person_id]})
        if method == "GET" and path == "/api/v2/deals":
            person_id = request.query_params.get("person_id")
            deals = [
                d
                for d in self.deals.values()
                if str(d.get("person_id")) == person_id
                and d.get("status", "open") == request.query_params.get("status", "open")
            ]
            return JSONResponse({"success": True, "data": deals, "additional_data": {}})
        if method == "POST" and path == "/api/v2/deals":
            if not isinstance(body, dict) or not body.get("title"):
                return _error(400, "Validation failed: title: Parameter 'title' is required")
            if body.get("person_id") not in self.persons:
                return _error(400, "Person not found")
            deal_id = next(self._ids)
            self.deals[deal_id] = {"id": deal_id, "status": "open", **body}
            return JSONResponse({"success": True, "data": self.deals[deal_id]})
        match = re.fullmatch(r"/api/v2/deals/(\d+)", path)
        if method == "PATCH" and match:
            deal = self.deals.get(int(match.group(1)))
            if deal is None:
                return JSONResponse({"success": False, "error": "Deal not found"}, status_code=404)
            if not isinstance(body, dict) or body.get("status", "open") not in (
                "open",
                "won",
                "lost",
            ):
                return _error(400, "Validation failed: status")
            deal.update(body)
            return JSONResponse({"success": True, "data": deal})
        return JSONResponse({"success": False, "error": "Not found"}, status_code=404)
