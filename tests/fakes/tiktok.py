"""A fake TikTok Events API 2.0 (`POST /open_api/v1.3/event/track/`) that validates a
request the way TikTok documents it (platforms.md §4) and answers like TikTok: HTTP 200
with a body `code` (0 is success) for accepted and refused requests alike.

Checked: the `Access-Token` header (40001 otherwise); `event_source` web / app / offline /
crm; `event_source_id` the pixel code for `web` and the event set for `offline`/`crm`
(a pixel code there is TikTok's `40002 Invalid value for event_source_id`); `data` with 1 to
1,000 events, each with `event`, `event_time` in Unix seconds (not milliseconds, not in
the future), `event_id`, a `user` with something to match on and `email` / `phone` /
`external_id` as SHA-256 lowercase hex, `properties.value` a number and `currency` ISO
4217. One invalid event refuses the request (40002).

Tests script failures before the real answer: HTTP 200 with a non-zero code (40100 rate
limit, 50000 system error, 40002 ...), 429, 5xx, a hang past the client timeout.
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest, Scripted
from tests.fakes.crm_common import ScriptableFake

PATH = "/open_api/v1.3/event/track/"
MAX_BATCH = 1000
EVENT_SOURCES = {"web", "app", "offline", "crm"}
HASHED_KEYS = ("email", "phone", "external_id")
MATCH_KEYS = ("ttclid", "ttp", "email", "phone", "external_id", "ip")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def tiktok_answer(code: int = 0, message: str = "OK") -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": "2026112317420001FAKE", "data": {}}


class FakeTikTok(ScriptableFake):
    def __init__(self, token: str, pixel_code: str, event_set_id: str | None = None) -> None:
        super().__init__(self._handle)
        self.token = token
        self.pixel_code = pixel_code
        self.event_set_id = event_set_id
        self.accepted: list[dict[str, Any]] = []  # every event of every accepted request

    # --- failure scripting -----------------------------------------------------------------

    def error_200(self, code: int, message: str = "error", times: int = 1) -> None:
        """The next `times` requests answer HTTP 200 with this body code."""
        for _ in range(times):
            self.script.append(Scripted(200, tiktok_answer(code, message)))

    def rate_limit(self, times: int = 1) -> None:
        self.error_200(40100, "Too many requests. Please retry in some time.", times)

    # --- what tests look at ------------------------------------------------------------------

    @property
    def unique_event_ids(self) -> set[str]:
        return {event["event_id"] for event in self.accepted}

    @property
    def event_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == PATH]

    # --- the API -------------------------------------------------------------------------------

    def _check_event(self, index: int, event: Any, now: float) -> str | None:
        if not isinstance(event, dict):
            return f"data[{index}] is not an object"
        for key in ("event", "event_time", "event_id"):
            if event.get(key) in (None, ""):
                return f"data[{index}].{key} is required"
        event_time = event["event_time"]
        if not isinstance(event_time, int) or len(str(event_time)) != 10:
            return f"data[{index}].event_time must be Unix seconds"
        if event_time > now + 300:
            return f"data[{index}].event_time is in the future"
        user = event.get("user")
        if not isinstance(user, dict) or not any(user.get(key) for key in MATCH_KEYS):
            return f"data[{index}].user needs at least one matching key"
        for key in HASHED_KEYS:
            if key not in user:
                continue
            values = user[key] if isinstance(user[key], list) else [user[key]]
            if not all(isinstance(v, str) and SHA256.match(v) for v in values):
                return f"data[{index}].user.{key} must be SHA-256 lowercase hex"
        properties = event.get("properties") or {}
        if not isinstance(properties, dict):
            return f"data[{index}].properties is not an object"
        if "value" in properties and not isinstance(properties["value"], (int, float)):
            return f"data[{index}].properties.value must be a number"
        if "currency" in properties and not re.match(r"^[A-Z]{3}$", str(properties["currency"])):
            return f"data[{index}].properties.currency must be ISO 4217"
        return None

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.method != "POST" or recorded.path != PATH:
            return JSONResponse(tiktok_answer(40400, "Not found"), status_code=404)
        if recorded.headers.get("access-token") != self.token:
            return JSONResponse(tiktok_answer(40001, "No permission to operate pixel"))
        body = recorded.json if isinstance(recorded.json, dict) else {}
        source = body.get("event_source")
        if source not in EVENT_SOURCES:
            return JSONResponse(tiktok_answer(40002, "Invalid value for event_source"))
        expected = self.pixel_code if source in ("web", "app") else self.event_set_id
        if body.get("event_source_id") != expected:
            return JSONResponse(tiktok_answer(40002, "Invalid value for event_source_id"))
        data = body.get("data")
        if not isinstance(data, list) or not data:
            return JSONResponse(tiktok_answer(40002, "data is required"))
        if len(data) > MAX_BATCH:
            return JSONResponse(tiktok_answer(40002, f"data may hold at most {MAX_BATCH} events"))
        now = time.time()
        for index, event in enumerate(data):
            problem = self._check_event(index, event, now)
            if problem is not None:
                return JSONResponse(tiktok_answer(40002, problem))
        self.accepted.extend(data)
        return JSONResponse(tiktok_answer())
