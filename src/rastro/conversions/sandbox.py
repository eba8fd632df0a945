"""A sandbox of the platforms' endpoints inside Rastro, for the demo (`rastro demo`): the
demo credentials' `api_url` points here, so the sync jobs send the demo's pending
conversions somewhere real without an ad account.

It answers like the platform for a well-formed request and refuses what the platform
would refuse (missing token, malformed events), stores nothing, and exists only outside
production (404 there). It is not a test fake: the fakes of `tests/fakes/` check every
rule and inject failures; this checks the shape.

- `POST /api/sandbox/meta/{version}/{dataset_id}/events` (Meta Conversions API)
- `POST /api/sandbox/utmify/api-credentials/orders` (UTMify orders API)
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from rastro.core.errors import NotFound

router = APIRouter(prefix="/api/sandbox", include_in_schema=False)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_HASHED = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id")
_ORDER_STATUSES = {"waiting_payment", "paid", "refused", "refunded", "chargedback"}


def _enabled(request: Request) -> None:
    if request.app.state.settings.env == "production":
        raise NotFound()


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def _graph_error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "OAuthException", "code": code}},
        status_code=status,
    )


def _meta_problem(event: Any) -> str | None:
    if not isinstance(event, dict):
        return "an event is not an object"
    for key in ("event_name", "event_time", "event_id", "action_source", "user_data"):
        if not event.get(key):
            return f"{key} is required"
    if not isinstance(event["event_time"], int):
        return "event_time must be Unix seconds"
    user = event["user_data"]
    for key in _HASHED:
        values = user.get(key) if isinstance(user, dict) else None
        if values is None:
            continue
        values = values if isinstance(values, list) else [values]
        if not all(isinstance(v, str) and _SHA256.match(v) for v in values):
            return f"user_data.{key} must be SHA-256 lowercase hex"
    return None


@router.post("/meta/{version}/{dataset_id}/events")
async def meta_events(request: Request, version: str, dataset_id: str) -> JSONResponse:
    _enabled(request)
    body = await _json(request)
    body = body if isinstance(body, dict) else {}
    if not (body.get("access_token") or request.query_params.get("access_token")):
        return _graph_error(401, 190, "Invalid OAuth access token")
    data = body.get("data")
    if not isinstance(data, list) or not 1 <= len(data) <= 1000:
        return _graph_error(400, 100, "data must hold 1 to 1000 events")
    for index, event in enumerate(data):
        problem = _meta_problem(event)
        if problem is not None:
            return _graph_error(400, 100, f"Invalid parameter: data[{index}]: {problem}")
    return JSONResponse(
        {"events_received": len(data), "messages": [], "fbtrace_id": "RastroSandbox"}
    )


@router.post("/utmify/api-credentials/orders")
async def utmify_orders(request: Request) -> JSONResponse:
    _enabled(request)
    if not request.headers.get("x-api-token"):
        return JSONResponse({"message": "Invalid API token"}, status_code=401)
    order = await _json(request)
    if not isinstance(order, dict):
        return JSONResponse({"message": "The body must be an order"}, status_code=400)
    for key in ("orderId", "platform", "paymentMethod", "status", "createdAt", "customer"):
        if not order.get(key):
            return JSONResponse({"message": f"{key} is required"}, status_code=400)
    if order["status"] not in _ORDER_STATUSES:
        return JSONResponse({"message": "status is invalid"}, status_code=400)
    if not isinstance(order["createdAt"], str) or not _DATE.match(order["createdAt"]):
        return JSONResponse({"message": "createdAt must be YYYY-MM-DD HH:MM:SS"}, status_code=400)
    return JSONResponse({"OK": True})
