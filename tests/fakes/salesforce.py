"""A fake Salesforce REST API (Lead sObject): Bearer token, LastName and Company required,
errors as `[{message, errorCode, fields}]`, upsert by an external id field."""

from __future__ import annotations

import itertools
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake

LEAD_FIELDS = {
    "FirstName",
    "LastName",
    "Company",
    "Email",
    "Phone",
    "LeadSource",
    "Description",
    "Status",
}
LEAD_PATH = re.compile(r"/services/data/v\d+\.\d/sobjects/Lead(?:/([A-Za-z0-9_]+))?(?:/([^/]+))?")


def _errors(status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
    return JSONResponse(
        [{"message": message, "errorCode": code, "fields": fields or []}], status_code=status
    )


class FakeSalesforce(ScriptableFake):
    def __init__(self, token: str, external_id_field: str | None = None) -> None:
        super().__init__(self._handle)
        self.token = token
        self.external_id_field = external_id_field
        self.leads: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def _check(self, fields: Any, *, creating: bool) -> Response | None:
        if not isinstance(fields, dict):
            return _errors(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        allowed = LEAD_FIELDS | ({self.external_id_field} if self.external_id_field else set())
        for name in fields:
            if name not in allowed:
                return _errors(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type Lead"
                )
        if creating:
            missing = [f for f in ("LastName", "Company") if not fields.get(f)]
            if missing:
                return _errors(
                    400,
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(missing)}]",
                    missing,
                )
        return None

    def _new_id(self) -> str:
        return f"00Q5g00000{next(self._ids):08d}"

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        match = LEAD_PATH.fullmatch(recorded.path)
        if match is None:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        first, second = match.group(1), match.group(2)
        fields = recorded.json
        if request.method == "POST" and first is None:
            problem = self._check(fields, creating=True)
            if problem:
                return problem
            lead_id = self._new_id()
            self.leads[lead_id] = dict(fields)
            return JSONResponse({"id": lead_id, "success": True, "errors": []}, status_code=201)
        if request.method == "PATCH" and first and second:  # upsert by external id
            if first != self.external_id_field:
                return _errors(
                    404, "NOT_FOUND", f"Provided external ID field does not exist: {first}"
                )
            existing = next(
                (i for i, lead in self.leads.items() if lead.get(first) == second), None
            )
            problem = self._check(fields, creating=existing is None)
            if problem:
                return problem
            if existing:
                self.leads[existing].update(fields)
                return JSONResponse(
                    {"id": existing, "success": True, "errors": [], "created": False}
                )
            lead_id = self._new_id()
            self.leads[lead_id] = {**fields, first: second}
            return JSONResponse(
                {"id": lead_id, "success": True, "errors": [], "created": True}, status_code=201
            )
        if request.method == "PATCH" and first and not second:
            if first not in self.leads:
                return _errors(404, "NOT_FOUND", "The requested resource does not exist")
            problem = self._check(fields, creating=False)
            if problem:
                return problem
            self.leads[first].update(fields)
            return Response(status_code=204)
        return _errors(405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed")
