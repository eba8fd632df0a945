"""A fake LinkedIn Conversions API (`POST /rest/conversionEvents`) that validates a request
the way LinkedIn documents it (platforms.md §3): a Bearer token it knows, the
`LinkedIn-Version` header (missing: 400 `VERSION_MISSING`; not `YYYYMM`, or older than the
oldest active version: 426 `NONEXISTENT_VERSION`), `X-Restli-Protocol-Version: 2.0.0`,
`X-RestLi-Method: BATCH_CREATE` with `{"elements": [...]}` of 1 to 5,000 events (a single
create without the method header), each with a known conversion rule URN,
`conversionHappenedAt` in epoch milliseconds at most 90 days old and not in the future,
`conversionValue.amount` as a string, `eventId` up to 64 characters and `user.userIds`
of known types, `SHA256_EMAIL` as 64 lowercase hex. A batch is all-or-nothing: invalid
elements make a 400 whose message lists `Index: N, ERROR :: ...`.

Tests script failures before the real answer: 429 with Retry-After, 5xx, a hang past the
client timeout.
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest, Scripted
from tests.fakes.crm_common import ScriptableFake

PATH = "/rest/conversionEvents"
MAX_BATCH = 5000
MAX_AGE_MS = 90 * 86_400_000
ID_TYPES = {
    "SHA256_EMAIL",
    "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID",
    "ACXIOM_ID",
    "ORACLE_MOAT_ID",
}
SHA256 = re.compile(r"^[0-9a-f]{64}$")
URN = re.compile(r"^urn:lla:llaPartnerConversion:(\d+)$")
VERSION = re.compile(r"^\d{6}(\.\d{2})?$")
AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")


def linkedin_error(status: int, code: str, message: str, service_code: int = 100) -> JSONResponse:
    return JSONResponse(
        {"status": status, "serviceErrorCode": service_code, "code": code, "message": message},
        status_code=status,
    )


class FakeLinkedIn(ScriptableFake):
    def __init__(self, token: str, rule_ids: set[str], *, oldest_version: str = "202511") -> None:
        super().__init__(self._handle)
        self.token = token
        self.rule_ids = rule_ids
        self.oldest_version = oldest_version
        self.accepted: list[dict[str, Any]] = []  # every event of every accepted request

    # --- failure scripting -----------------------------------------------------------------

    def rate_limit(self, times: int = 1, retry_after: str | None = None) -> None:
        headers = {"retry-after": retry_after} if retry_after else {}
        for _ in range(times):
            self.script.append(
                Scripted(
                    429,
                    {"status": 429, "serviceErrorCode": 101, "message": "Resource level throttle"},
                    headers,
                )
            )

    # --- what tests look at ------------------------------------------------------------------

    @property
    def unique_event_ids(self) -> set[str]:
        return {event["eventId"] for event in self.accepted}

    @property
    def event_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == PATH]

    # --- the API -------------------------------------------------------------------------------

    def _check_event(self, event: Any, now_ms: int) -> str | None:
        if not isinstance(event, dict):
            return "/ :: not an object"
        urn = event.get("conversion")
        match = URN.match(urn) if isinstance(urn, str) else None
        if match is None:
            return "/conversion :: must be urn:lla:llaPartnerConversion:{id}"
        if match.group(1) not in self.rule_ids:
            return f"/conversion :: conversion rule {match.group(1)} not found"
        happened = event.get("conversionHappenedAt")
        if not isinstance(happened, int) or len(str(happened)) != 13:
            return "/conversionHappenedAt :: must be epoch milliseconds"
        if happened < now_ms - MAX_AGE_MS:
            return "/conversionHappenedAt :: conversions older than 90 days are not accepted"
        if happened > now_ms + 60_000:
            return "/conversionHappenedAt :: is in the future"
        value = event.get("conversionValue")
        if value is not None:
            if not isinstance(value, dict) or not re.match(
                r"^[A-Z]{3}$", str(value.get("currencyCode"))
            ):
                return "/conversionValue/currencyCode :: must be ISO 4217"
            amount = value.get("amount")
            if not isinstance(amount, str) or not AMOUNT.match(amount):
                return "/conversionValue/amount :: must be a decimal string"
        event_id = event.get("eventId")
        if event_id is not None and (not isinstance(event_id, str) or not 0 < len(event_id) <= 64):
            return "/eventId :: must be a string of at most 64 characters"
        user = event.get("user")
        ids = user.get("userIds") if isinstance(user, dict) else None
        if not isinstance(ids, list) or not ids:
            return "/user/userIds :: at least one user id is required"
        for position, uid in enumerate(ids):
            if not isinstance(uid, dict) or uid.get("idType") not in ID_TYPES:
                return f"/user/userIds/{position}/idType :: unknown"
            id_value = uid.get("idValue")
            if not isinstance(id_value, str) or not id_value:
                return f"/user/userIds/{position}/idValue :: required"
            if uid["idType"] == "SHA256_EMAIL" and not SHA256.match(id_value):
                return f"/user/userIds/{position}/idValue :: must be SHA-256 lowercase hex"
            if uid["idType"] == "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID" and SHA256.match(id_value):
                return f"/user/userIds/{position}/idValue :: li_fat_id is sent unhashed"
        return None

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.method != "POST" or recorded.path != PATH:
            return linkedin_error(404, "NOT_FOUND", f"No resource at {recorded.path}")
        headers = recorded.headers
        if headers.get("authorization") != f"Bearer {self.token}":
            return linkedin_error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        version = headers.get("linkedin-version")
        if not version:
            return linkedin_error(
                400,
                "VERSION_MISSING",
                "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
            )
        if not VERSION.match(version) or version[:6] < self.oldest_version:
            return linkedin_error(
                426, "NONEXISTENT_VERSION", f"Requested version {version} is not active"
            )
        if headers.get("x-restli-protocol-version") != "2.0.0":
            return linkedin_error(
                400, "INVALID_PROTOCOL_VERSION", "X-Restli-Protocol-Version must be 2.0.0"
            )
        body = recorded.json
        batch = headers.get("x-restli-method", "").upper() == "BATCH_CREATE"
        if batch:
            elements = body.get("elements") if isinstance(body, dict) else None
            if not isinstance(elements, list) or not elements:
                return linkedin_error(400, "INVALID_BODY", "BATCH_CREATE needs elements")
            if len(elements) > MAX_BATCH:
                return linkedin_error(
                    400, "BATCH_TOO_LARGE", f"At most {MAX_BATCH} elements per batch"
                )
        else:
            elements = [body]
        now_ms = int(time.time() * 1000)
        problems = [
            f"Index: {index}, ERROR :: {problem}"
            for index, event in enumerate(elements)
            if (problem := self._check_event(event, now_ms)) is not None
        ]
        if problems:
            return linkedin_error(400, "VALIDATION_FAILED", "\n".join(problems), 400)
        self.accepted.extend(elements)
        if not batch:
            return Response(status_code=201)
        return JSONResponse({"elements": [{"status": 201} for _ in elements]})
