"""A fake Meta Conversions API (`POST /{version}/{dataset_id}/events`) that validates a
request the way Meta documents it: a known access token and dataset, `data` with 1 to
1,000 events, each with `event_name`, `event_time` (Unix seconds, not more than 7 days
old — 62 for `physical_store` — and not in the future), `event_id`, a known
`action_source`, `user_data` whose hashed keys are SHA-256 lowercase hex lists and whose
`fbc` has the `fb.1.<ms>.<fbclid>` shape. One invalid event rejects the whole batch
(HTTP 400, Graph error code 100), like Meta.

Tests script failures before the real answer: 429 with code 4/17, 500, a hang past the
client timeout, HTTP 200 carrying an error object.
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest, Scripted
from tests.fakes.crm_common import ScriptableFake

HASHED_KEYS = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id")
ACTION_SOURCES = {
    "email",
    "website",
    "app",
    "phone_call",
    "chat",
    "physical_store",
    "system_generated",
    "business_messaging",
    "other",
}
SHA256 = re.compile(r"^[0-9a-f]{64}$")
FBC = re.compile(r"^fb\.\d\.\d{13}\.\S+$")
PATH = re.compile(r"^/(v\d+\.\d+)/([^/]+)/events$")


def graph_error(
    code: int, message: str, *, subcode: int | None = None, transient: bool | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfFakeTrace",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    return {"error": error}


class FakeMeta(ScriptableFake):
    def __init__(self, token: str, dataset_id: str) -> None:
        super().__init__(self._handle)
        self.token = token
        self.dataset_id = dataset_id
        self.accepted: list[dict[str, Any]] = []  # every event of every accepted request

    # --- failure scripting -----------------------------------------------------------------

    def rate_limit(self, times: int = 1, code: int = 17, retry_after: str | None = None) -> None:
        headers = {"retry-after": retry_after} if retry_after else {}
        for _ in range(times):
            self.script.append(
                Scripted(
                    429, graph_error(code, "User request limit reached", transient=True), headers
                )
            )

    def error_200(self, code: int = 2, message: str = "Service temporarily unavailable") -> None:
        self.script.append(Scripted(200, graph_error(code, message, transient=code in {1, 2})))

    # --- what tests look at ------------------------------------------------------------------

    @property
    def unique_event_ids(self) -> set[str]:
        return {event["event_id"] for event in self.accepted}

    @property
    def event_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/events")]

    # --- the API -------------------------------------------------------------------------------

    def _invalid(self, message: str) -> JSONResponse:
        return JSONResponse(graph_error(100, message, subcode=2804003), status_code=400)

    def _check_event(self, index: int, event: Any, now: float) -> str | None:
        if not isinstance(event, dict):
            return f"data[{index}] is not an object"
        for key in ("event_name", "event_time", "event_id", "action_source", "user_data"):
            if key not in event or event[key] in (None, ""):
                return f"data[{index}].{key} is required"
        if event["action_source"] not in ACTION_SOURCES:
            return f"data[{index}].action_source is invalid"
        event_time = event["event_time"]
        if not isinstance(event_time, int):
            return f"data[{index}].event_time must be Unix seconds (an integer)"
        max_age = 62 if event["action_source"] == "physical_store" else 7
        if event_time < now - max_age * 86400:
            return f"data[{index}].event_time is more than {max_age} days in the past"
        if event_time > now + 60:
            return f"data[{index}].event_time is in the future"
        if event["action_source"] == "website" and not event.get("event_source_url"):
            return f"data[{index}].event_source_url is required for website events"
        user = event["user_data"]
        if not isinstance(user, dict) or not user:
            return f"data[{index}].user_data needs at least one customer parameter"
        for key in HASHED_KEYS:
            if key not in user:
                continue
            values = user[key] if isinstance(user[key], list) else [user[key]]
            if not all(isinstance(v, str) and SHA256.match(v) for v in values):
                return f"data[{index}].user_data.{key} must be SHA-256 lowercase hex"
        if "fbc" in user and not FBC.match(str(user["fbc"])):
            return f"data[{index}].user_data.fbc is malformed"
        problem = _check_processing_options(index, event)
        if problem:
            return problem
        custom = event.get("custom_data") or {}
        if "value" in custom and not isinstance(custom["value"], (int, float)):
            return f"data[{index}].custom_data.value must be a number"
        if "currency" in custom and not re.match(r"^[A-Za-z]{3}$", str(custom["currency"])):
            return f"data[{index}].custom_data.currency must be ISO 4217"
        return None

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        match = PATH.match(recorded.path)
        if request.method != "POST" or match is None:
            return JSONResponse(graph_error(100, "Unknown path"), status_code=400)
        body = recorded.json if isinstance(recorded.json, dict) else {}
        token = body.get("access_token") or request.query_params.get("access_token")
        if token != self.token:
            return JSONResponse(
                graph_error(190, "Invalid OAuth access token - Cannot parse access token"),
                status_code=401,
            )
        if match.group(2) != self.dataset_id:
            return JSONResponse(
                graph_error(100, "Unsupported post request. Object does not exist", subcode=33),
                status_code=400,
            )
        data = body.get("data")
        if not isinstance(data, list) or not data:
            return self._invalid("The parameter data is required")
        if len(data) > 1000:
            return self._invalid("data may hold at most 1000 events")
        now = time.time()
        for index, event in enumerate(data):
            problem = self._check_event(index, event, now)
            if problem is not None:
                return self._invalid(f"Invalid parameter: {problem}")
        self.accepted.extend(data)
        return JSONResponse(
            {"events_received": len(data), "messages": [], "fbtrace_id": "AbCdEfFakeTrace"}
        )


# Limited Data Use (developers.facebook.com, "Data Processing Options for US Users"):
# `data_processing_options` is [] or ["LDU"]; the country is 0 (geolocate) or 1 (US), the
# state 0 (geolocate) or a US state code from 1000 (1000 California, 1001 Colorado, ...),
# and both are meaningful only beside "LDU".
def _check_processing_options(index: int, event: dict[str, Any]) -> str | None:
    where = f"data[{index}]"
    if "data_processing_options" not in event:
        if "data_processing_options_country" in event or "data_processing_options_state" in event:
            return f"{where}.data_processing_options_country needs data_processing_options"
        return None
    options = event["data_processing_options"]
    if not isinstance(options, list) or any(o != "LDU" for o in options):
        return f'{where}.data_processing_options must be [] or ["LDU"]'
    country = event.get("data_processing_options_country")
    state = event.get("data_processing_options_state")
    if not options and (country is not None or state is not None):
        return f"{where}.data_processing_options_country is only valid with LDU"
    if country is not None and (not isinstance(country, int) or country not in (0, 1)):
        return f"{where}.data_processing_options_country must be 0 or 1"
    if state is not None and (
        not isinstance(state, int) or not (state == 0 or 1000 <= state < 1100)
    ):
        return f"{where}.data_processing_options_state must be 0 or a state code"
    return None
