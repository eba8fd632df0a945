"""A fake Google Ads API `ConversionUploadService.UploadClickConversions` (REST) that
validates like Google (platforms.md §1): the bearer token, `developer-token` and
`login-customer-id` headers, the customer in the path, a body that loads into the official
`google.ads.googleads.v26` `UploadClickConversionsRequest` (an unknown or misspelled field is
refused), `partialFailure: true`, 1 to 2,000 conversions. Each conversion is checked as
Google checks it, and a bad one fails alone, reported in `partialFailureError` (a
`GoogleAdsFailure` built and serialized with the official types) with its index, `{}` in
its place in `results`: exactly one of gclid / gbraid / wbraid or user identifiers (at most
5, each a SHA-256 lowercase hex digest), a known conversion action, the date format
"yyyy-mm-dd hh:mm:ss+|-hh:mm", an ISO 4217 currency, an order id not already used for the
action nor twice in the request.

Tests script request failures (429 RESOURCE_EXHAUSTED, 500/503, a hang) before the real
answer, and row failures by click id or order id (`reject`).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure
from google.ads.googleads.v26.services.types.conversion_upload_service import (
    UploadClickConversionsRequest,
)
from google.protobuf import json_format
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest, Scripted
from tests.fakes.crm_common import ScriptableFake

API_VERSION = "v26"
PATH = re.compile(r"^/(v\d+)/customers/([^/:]+):uploadClickConversions$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
ACTION = re.compile(r"^customers/(\d+)/conversionActions/(\d+)$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_CONVERSIONS = 2000
MAX_IDENTIFIERS = 5
FAILURE_TYPE = f"type.googleapis.com/google.ads.googleads.{API_VERSION}.errors.GoogleAdsFailure"
_request_ids = itertools.count(1)


def ads_failure(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """A GoogleAdsFailure in its REST JSON form, round-tripped through the official types
    (an unknown error code name raises here, so the fake cannot invent one)."""
    failure = GoogleAdsFailure.pb()()
    json_format.ParseDict({"errors": errors}, failure)
    return {"@type": FAILURE_TYPE, **json_format.MessageToDict(failure)}


def ads_error(
    error_field: str, code: str, message: str, *, index: int | None = None, field: str = ""
) -> dict[str, Any]:
    error: dict[str, Any] = {"errorCode": {error_field: code}, "message": message}
    if index is not None:
        elements: list[dict[str, Any]] = [{"fieldName": "conversions", "index": index}]
        if field:
            elements.append({"fieldName": field})
        error["location"] = {"fieldPathElements": elements}
    return error


def ads_error_body(http: int, status: str, message: str, errors: list[dict[str, Any]]) -> Any:
    body: dict[str, Any] = {"code": http, "message": message, "status": status}
    if errors:
        body["details"] = [ads_failure(errors)]
    return {"error": body}


class FakeGoogleAds(ScriptableFake):
    def __init__(
        self,
        token: str,
        customer_id: str,
        *,
        actions: tuple[str, ...] = ("987654321",),
        developer_token: str | None = None,
        login_customer_id: str | None = None,
    ) -> None:
        super().__init__(self._handle)
        self.token = token
        self.customer_id = customer_id
        self.actions = set(actions)
        self.developer_token = developer_token
        self.login_customer_id = login_customer_id
        self.accepted: list[dict[str, Any]] = []  # every conversion Google recorded
        self.rejections: dict[str, tuple[str, str]] = {}  # click id / order id → error
        self.recorded_orders: set[tuple[str, str]] = set()  # (action id, order id)

    # --- scripting -------------------------------------------------------------------------

    def reject(self, key: str, code: str, error_field: str = "conversionUploadError") -> None:
        """Conversions with this click id or order id fail with this row error."""
        self.rejections[key] = (error_field, code)

    def rate_limit(self, times: int = 1, retry_after: str | None = None) -> None:
        body = ads_error_body(
            429,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
            [ads_error("quotaError", "RESOURCE_EXHAUSTED", "Too many requests.")],
        )
        headers = {"retry-after": retry_after} if retry_after else {}
        for _ in range(times):
            self.script.append(Scripted(429, body, headers))

    def server_error(self, times: int = 1, status: int = 500) -> None:
        google_status = "INTERNAL" if status == 500 else "UNAVAILABLE"
        code = "INTERNAL_ERROR" if status == 500 else "TRANSIENT_ERROR"
        body = ads_error_body(
            status,
            google_status,
            "Internal error encountered.",
            [ads_error("internalError", code, "Try again.")],
        )
        for _ in range(times):
            self.script.append(Scripted(status, body))

    # --- what tests look at ------------------------------------------------------------------

    @property
    def upload_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith(":uploadClickConversions")]

    @property
    def order_ids(self) -> list[str]:
        return [c["orderId"] for c in self.accepted]

    # --- the API -------------------------------------------------------------------------------

    def _answer(self, status: int, body: Any) -> JSONResponse:
        return JSONResponse(
            body, status_code=status, headers={"request-id": f"fake-{next(_request_ids)}"}
        )

    def _check_headers(self, request: Request, customer_id: str) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._answer(
                401,
                ads_error_body(
                    401,
                    "UNAUTHENTICATED",
                    "Request is missing required authentication credential.",
                    [
                        ads_error(
                            "authenticationError", "OAUTH_TOKEN_INVALID", "Invalid OAuth token."
                        )
                    ],
                ),
            )
        if self.developer_token and request.headers.get("developer-token") != self.developer_token:
            return self._answer(
                401,
                ads_error_body(
                    401,
                    "UNAUTHENTICATED",
                    "The developer token is not valid.",
                    [ads_error("authenticationError", "DEVELOPER_TOKEN_INVALID", "Bad token.")],
                ),
            )
        login = request.headers.get("login-customer-id")
        if login is not None and not login.isdigit():
            return self._answer(
                400,
                ads_error_body(
                    400,
                    "INVALID_ARGUMENT",
                    "Invalid login-customer-id header.",
                    [ads_error("headerError", "INVALID_LOGIN_CUSTOMER_ID", "Digits only.")],
                ),
            )
        if self.login_customer_id and login != self.login_customer_id:
            return self._answer(
                403,
                ads_error_body(
                    403,
                    "PERMISSION_DENIED",
                    "The caller does not have permission.",
                    [
                        ads_error(
                            "authorizationError",
                            "USER_PERMISSION_DENIED",
                            "Set login-customer-id to the manager.",
                        )
                    ],
                ),
            )
        if customer_id != self.customer_id:
            return self._answer(
                403,
                ads_error_body(
                    403,
                    "PERMISSION_DENIED",
                    "The caller does not have permission.",
                    [
                        ads_error(
                            "authorizationError", "USER_PERMISSION_DENIED", "No access to customer."
                        )
                    ],
                ),
            )
        return None

    def _row_error(
        self, index: int, conversion: dict[str, Any], order_ids: set[tuple[str, str]]
    ) -> dict[str, Any] | None:
        def fail(field: str, code: str, message: str, where: str = "") -> dict[str, Any]:
            return ads_error(field, code, message, index=index, field=where)

        clicks = [n for n in ("gclid", "gbraid", "wbraid") if conversion.get(n)]
        identifiers = conversion.get("userIdentifiers") or []
        if "gbraid" in clicks and "wbraid" in clicks:
            return fail("conversionUploadError", "GBRAID_WBRAID_BOTH_SET", "Both braids set.")
        if len(clicks) > 1:
            return fail("fieldError", "VALUE_MUST_BE_UNSET", "Set only one click id.", clicks[1])
        if not clicks and not identifiers:
            return fail("fieldError", "REQUIRED", "A click id or user identifiers are required.")
        consent = conversion.get("consent")
        if consent is not None:
            # ClickConversion.consent (Consent): ad_user_data only; ad_personalization
            # "can only be set for OfflineUserDataJobService and UserDataService".
            if not isinstance(consent, dict) or "adPersonalization" in consent:
                return fail("fieldError", "VALUE_MUST_BE_UNSET", "Only adUserData.", "consent")
            if set(consent) - {"adUserData"} or consent.get("adUserData") not in (
                "GRANTED",
                "DENIED",
                "UNSPECIFIED",
            ):
                return fail("requestError", "INVALID_ENUM_VALUE", "Bad consent.", "consent")
        if len(identifiers) > MAX_IDENTIFIERS:
            return fail("collectionSizeError", "TOO_MANY", "At most 5 user identifiers.")
        for identifier in identifiers:
            hashed = identifier.get("hashedEmail") or identifier.get("hashedPhoneNumber") or ""
            if not SHA256.match(hashed):
                return fail(
                    "conversionUploadError", "INVALID_USER_IDENTIFIER", "Not a SHA-256 hex digest."
                )
        action = ACTION.match(conversion.get("conversionAction") or "")
        if action is None or action.group(2) not in self.actions:
            return fail(
                "conversionUploadError",
                "NO_CONVERSION_ACTION_FOUND",
                "The conversion action was not found.",
                "conversion_action",
            )
        if not DATE_TIME.match(conversion.get("conversionDateTime") or ""):
            return fail(
                "dateError",
                "INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET",
                "Expected yyyy-mm-dd hh:mm:ss+|-hh:mm.",
                "conversion_date_time",
            )
        if conversion.get("currencyCode") and not CURRENCY.match(conversion["currencyCode"]):
            return fail("currencyCodeError", "UNSUPPORTED", "Not an ISO 4217 code.")
        for key in [*(conversion[c] for c in clicks), conversion.get("orderId")]:
            if key and key in self.rejections:
                field, code = self.rejections[key]
                return fail(field, code, f"Rejected by the test script ({code}).")
        order = conversion.get("orderId")
        if order:
            key = (action.group(2), order)
            if key in order_ids:
                return fail("conversionUploadError", "DUPLICATE_ORDER_ID", "Order id twice.")
            if key in self.recorded_orders:
                return fail(
                    "conversionUploadError", "ORDER_ID_ALREADY_IN_USE", "Order id already used."
                )
            order_ids.add(key)
        return None

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        match = PATH.match(recorded.path)
        if request.method != "POST" or match is None:
            return self._answer(
                404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}
            )
        refused = self._check_headers(request, match.group(2))
        if refused is not None:
            return refused
        body = recorded.json
        if not isinstance(body, dict):
            return self._answer(
                400,
                {
                    "error": {
                        "code": 400,
                        "message": "Invalid JSON payload.",
                        "status": "INVALID_ARGUMENT",
                    }
                },
            )
        try:
            json_format.ParseDict(body, UploadClickConversionsRequest.pb()())
        except json_format.ParseError as error:
            return self._answer(
                400,
                {
                    "error": {
                        "code": 400,
                        "message": f"Invalid JSON payload received. {error}",
                        "status": "INVALID_ARGUMENT",
                    }
                },
            )
        if body.get("partialFailure") is not True:
            return self._answer(
                400,
                ads_error_body(
                    400,
                    "INVALID_ARGUMENT",
                    "Request contains an invalid argument.",
                    [
                        ads_error(
                            "requestError",
                            "REQUIRED_FIELD_MISSING",
                            "partial_failure must be true.",
                        )
                    ],
                ),
            )
        conversions = body.get("conversions") or []
        if not conversions or len(conversions) > MAX_CONVERSIONS:
            field, code = (
                ("conversionUploadError", "TOO_MANY_CONVERSIONS_IN_REQUEST")
                if conversions
                else ("collectionSizeError", "TOO_FEW")
            )
            return self._answer(
                400,
                ads_error_body(
                    400,
                    "INVALID_ARGUMENT",
                    "Request contains an invalid argument.",
                    [ads_error(field, code, "1 to 2000 conversions.")],
                ),
            )
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for index, conversion in enumerate(conversions):
            error = self._row_error(index, conversion, seen)
            if error is not None:
                errors.append(error)
                results.append({})
                continue
            self.accepted.append(conversion)
            if conversion.get("orderId"):
                action = ACTION.match(conversion["conversionAction"])
                assert action is not None
                self.recorded_orders.add((action.group(2), conversion["orderId"]))
            result = {
                k: conversion[k]
                for k in ("gclid", "gbraid", "wbraid", "conversionAction", "conversionDateTime")
                if conversion.get(k)
            }
            results.append(result)
        answer: dict[str, Any] = {"results": results, "jobId": "2147483649"}
        if errors:
            answer["partialFailureError"] = {
                "code": 3,
                "message": f"{len(errors)} conversion(s) failed.",
                "details": [ads_failure(errors)],
            }
        return self._answer(200, answer)
