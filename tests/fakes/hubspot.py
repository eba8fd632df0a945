"""A fake HubSpot CRM API v3 (contacts): Bearer private-app token, contacts unique by e-mail,
property validation like the real API (unknown properties and bad enum values are 400)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake

KNOWN_PROPERTIES = {
    "email",
    "firstname",
    "lastname",
    "phone",
    "company",
    "hs_lead_status",
    "lifecyclestage",
    "message",
}
LEAD_STATUSES = {
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _error(status: int, message: str, category: str) -> JSONResponse:
    return JSONResponse(
        {
            "status": "error",
            "message": message,
            "correlationId": "00000000-0000-0000-0000-000000000000",
            "category": category,
        },
        status_code=status,
    )


class FakeHubSpot(ScriptableFake):
    def __init__(self, token: str, custom_properties: set[str] | None = None) -> None:
        super().__init__(self._handle)
        self.token = token
        self.properties = KNOWN_PROPERTIES | (custom_properties or set())
        self.contacts: dict[str, dict[str, Any]] = {}  # id -> {"id", "properties"}
        self._ids = itertools.count(1001)
        self.gdpr_deleted: list[str] = []  # ids of the contacts permanently deleted
        self.blocklist: set[str] = set()  # e-mails a GDPR delete named that no contact had

    def by_email(self, email: str) -> dict[str, Any] | None:
        return next(
            (c for c in self.contacts.values() if c["properties"].get("email") == email), None
        )

    def _invalid(self, properties: Any) -> str | None:
        if not isinstance(properties, dict):
            return "properties must be an object"
        for name, value in properties.items():
            if name not in self.properties:
                return f'Property "{name}" does not exist'
            if not isinstance(value, str):
                return f'Property "{name}" must be a string'
        status = properties.get("hs_lead_status")
        if status is not None and status not in LEAD_STATUSES:
            return f'{status} was not one of the allowed options for "hs_lead_status"'
        email = properties.get("email")
        if email is not None and not EMAIL.match(email):
            return f"Email address {email} is invalid"
        return None

    def _save(self, contact_id: str | None, properties: dict[str, str]) -> tuple[dict, bool]:
        now = datetime.now(UTC).isoformat()
        if contact_id is None:
            contact_id = str(next(self._ids))
            self.contacts[contact_id] = {"id": contact_id, "properties": {}, "createdAt": now}
            new = True
        else:
            new = False
        contact = self.contacts[contact_id]
        contact["properties"].update(properties)
        contact["updatedAt"] = now
        return {**contact, "archived": False}, new

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "Authentication credentials not found.", "INVALID_AUTHENTICATION")
        body = recorded.json
        path = recorded.path
        if request.method == "POST" and path == "/crm/v3/objects/contacts/batch/upsert":
            inputs = body.get("inputs") if isinstance(body, dict) else None
            if not isinstance(inputs, list) or not 1 <= len(inputs) <= 100:
                return _error(400, "inputs must hold 1 to 100 items", "VALIDATION_ERROR")
            results = []
            for item in inputs:
                if item.get("idProperty") != "email" or not isinstance(item.get("id"), str):
                    return _error(400, "idProperty must be a unique property", "VALIDATION_ERROR")
                problem = self._invalid(item.get("properties"))
                if problem:
                    return _error(
                        400, f"Property values were not valid: {problem}", "VALIDATION_ERROR"
                    )
                existing = self.by_email(item["id"])
                properties = {**item["properties"], "email": item["id"]}
                contact, new = self._save(existing["id"] if existing else None, properties)
                results.append({**contact, "new": new})
            now = datetime.now(UTC).isoformat()
            return JSONResponse(
                {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
            )
        if request.method == "POST" and path == "/crm/v3/objects/contacts":
            properties = body.get("properties") if isinstance(body, dict) else None
            problem = self._invalid(properties)
            if problem:
                return _error(400, f"Property values were not valid: {problem}", "VALIDATION_ERROR")
            assert isinstance(properties, dict)
            email = properties.get("email")
            existing = self.by_email(email) if email else None
            if existing:
                return _error(
                    409, f"Contact already exists. Existing ID: {existing['id']}", "CONFLICT"
                )
            contact, _ = self._save(None, properties)
            return JSONResponse(contact, status_code=201)
        if request.method == "POST" and path == "/crm/v3/objects/contacts/gdpr-delete":
            return self._gdpr_delete(body)
        match = re.fullmatch(r"/crm/v3/objects/contacts/(\d+)", path)
        if request.method == "PATCH" and match:
            if match.group(1) not in self.contacts:
                return _error(404, "resource not found", "OBJECT_NOT_FOUND")
            properties = body.get("properties") if isinstance(body, dict) else None
            problem = self._invalid(properties)
            if problem:
                return _error(400, f"Property values were not valid: {problem}", "VALIDATION_ERROR")
            assert isinstance(properties, dict)
            contact, _ = self._save(match.group(1), properties)
            return JSONResponse(contact)
        return _error(404, "Unknown endpoint", "OBJECT_NOT_FOUND")

    def _gdpr_delete(self, body: Any) -> Response:
        """`POST /crm/v3/objects/contacts/gdpr-delete` {objectId, idProperty?}: 204 with no
        body. By e-mail (`idProperty: email`) an unknown address is blocklisted, still 204;
        by id an unknown contact is 404."""
        object_id = body.get("objectId") if isinstance(body, dict) else None
        if not isinstance(object_id, str) or not object_id:
            return _error(400, "objectId is required", "VALIDATION_ERROR")
        id_property = body.get("idProperty")
        if id_property not in (None, "email"):
            return _error(400, f"{id_property} is not a unique property", "VALIDATION_ERROR")
        if id_property == "email":
            contact = self.by_email(object_id)
            if contact is None:
                self.blocklist.add(object_id.lower())
                return Response(status_code=204)
        else:
            contact = self.contacts.get(object_id)
            if contact is None:
                return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        del self.contacts[contact["id"]]
        self.gdpr_deleted.append(contact["id"])
        return Response(status_code=204)
