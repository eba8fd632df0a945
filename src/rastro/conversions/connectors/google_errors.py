"""Reading Google's answers: the Ads API's GoogleAdsFailure row errors, Data Manager's
BadRequest field violations by event, and a whole request refused (transient or not)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from rastro.conversions.connectors.base import BatchOutcome
from rastro.core.http import retry_after_seconds

TRANSIENT_HTTP = frozenset({408, 429, 500, 502, 503, 504})
TRANSIENT_STATUSES = frozenset(
    {"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"}
)
TRANSIENT_CODES = frozenset({"TRANSIENT_ERROR", "INTERNAL_ERROR", "RESOURCE_EXHAUSTED"})
_EVENT_INDEX = re.compile(r"^events\[(\d+)\]")


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object (its first 2000 characters as `body` when it is not one)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {"body": response.text[:2000]}


def failure_errors(failure: Any) -> list[dict[str, Any]]:
    """The GoogleAdsError objects of a google.rpc.Status's GoogleAdsFailure details."""
    if not isinstance(failure, dict):
        return []
    errors: list[dict[str, Any]] = []
    for detail in failure.get("details") or []:
        if isinstance(detail, dict):
            errors.extend(e for e in detail.get("errors") or [] if isinstance(e, dict))
    return errors


def error_code(error: dict[str, Any]) -> str:
    """`{"errorCode": {"conversionUploadError": "CLICK_NOT_FOUND"}}` → CLICK_NOT_FOUND."""
    code = error.get("errorCode")
    if isinstance(code, dict) and code:
        return str(next(iter(code.values())))
    return "UNKNOWN"


def conversion_index(error: dict[str, Any]) -> int | None:
    """Which conversion of the request a GoogleAdsError is about (None: the whole request)."""
    location = error.get("location") or {}
    for element in location.get("fieldPathElements") or []:
        if element.get("fieldName") == "conversions" and element.get("index") is not None:
            return int(element["index"])
    return None


def _error_object(data: dict[str, Any]) -> dict[str, Any]:
    error = data.get("error")
    return error if isinstance(error, dict) else {}


def bad_events(data: dict[str, Any]) -> dict[int, str]:
    """Data Manager's BadRequest field violations by event index (`events[3].…`)."""
    named: dict[int, str] = {}
    error = _error_object(data)
    for detail in error.get("details") or []:
        if not isinstance(detail, dict) or not str(detail.get("@type", "")).endswith("BadRequest"):
            continue
        for violation in detail.get("fieldViolations") or []:
            match = _EVENT_INDEX.match(str(violation.get("field", "")))
            if match is None:
                continue
            index = int(match.group(1))
            text = f"{violation.get('reason') or 'INVALID_ARGUMENT'} at {violation['field']}: " + (
                str(violation.get("description") or "invalid")
            )
            named[index] = f"{named[index]}; {text}" if index in named else text
    return named


def request_error(api: str, response: httpx.Response, data: dict[str, Any]) -> BatchOutcome:
    """A whole request refused: Google's `{"error": {code, message, status, details}}`."""
    status = response.status_code
    error = _error_object(data)
    google_status = str(error.get("status") or "")
    codes = [error_code(e) for e in failure_errors(error)]
    message = f"{api} HTTP {status}"
    if google_status:
        message += f" {google_status}"
    if codes:
        message += f" [{', '.join(dict.fromkeys(codes))}]"
    message += f": {error.get('message') or 'no message'}"
    if response.headers.get("request-id"):
        message += f" (request-id {response.headers['request-id']})"
    transient = (
        status in TRANSIENT_HTTP
        or google_status in TRANSIENT_STATUSES
        or any(code in TRANSIENT_CODES for code in codes)
    ) and status not in {400, 401, 403, 404}
    return BatchOutcome(
        ok=False,
        http_status=status,
        response=data,
        error=message[:2000],
        transient=transient,
        retry_after=retry_after_seconds(response),
    )
