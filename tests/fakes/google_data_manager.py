"""A fake Google Data Manager API `POST /v1/events:ingest` that validates like Google
(`google/ads/datamanager/v1/ingestion_service.proto`, `event.proto`, `destination.proto`,
`user_data.proto`): the bearer token; only the request's known fields; 1 to 10
destinations, each with an `operatingAccount` (`accountType` GOOGLE_ADS, the account id)
and a known `productDestinationId` (conversion action), unique references, a
`loginAccount` matching the manager when one is configured; 1 to 2,000 events, each with
a RFC 3339 `eventTimestamp`, known fields, destination references that exist, at most one
click id, at most 10 user identifiers each with exactly one of `emailAddress` /
`phoneNumber` / `address`, hashed values as SHA-256 hex when `encoding` is HEX (and
`encoding` present with user data), an identifier of some kind, an ISO 4217 currency.

Google's fast-fail model: any invalid event rejects the whole request (HTTP 400
INVALID_ARGUMENT) with a `google.rpc.BadRequest` whose field violations name every bad
event (`events[3].ad_identifiers.gclid`); nothing of that request is kept. A good request
answers `{"requestId": ...}`. Tests script 429/500/503/hangs, and event rejections by click
id or transaction id (`reject`).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest, Scripted
from tests.fakes.crm_common import ScriptableFake

PATH = "/v1/events:ingest"
REQUEST_FIELDS = {"destinations", "events", "consent", "validateOnly", "encoding", "encryptionInfo"}
DESTINATION_FIELDS = {
    "reference",
    "loginAccount",
    "linkedAccount",
    "operatingAccount",
    "productDestinationId",
}
ACCOUNT_FIELDS = {"accountId", "accountType", "product"}
ACCOUNT_TYPES = {"GOOGLE_ADS", "DISPLAY_VIDEO_PARTNER", "DISPLAY_VIDEO_ADVERTISER", "DATA_PARTNER"}
EVENT_FIELDS = {
    "destinationReferences",
    "transactionId",
    "eventTimestamp",
    "lastUpdatedTimestamp",
    "userData",
    "consent",
    "adIdentifiers",
    "currency",
    "conversionValue",
    "eventSource",
    "eventDeviceInfo",
    "cartData",
    "customVariables",
    "experimentalFields",
    "userProperties",
}
AD_IDENTIFIER_FIELDS = {"sessionAttributes", "gclid", "gbraid", "wbraid", "landingPageDeviceInfo"}
EVENT_SOURCES = {"WEB", "APP", "IN_STORE", "PHONE", "OTHER"}
ENCODINGS = {"HEX", "BASE64"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_EVENTS = 2000
MAX_DESTINATIONS = 10
MAX_IDENTIFIERS = 10


def status_error(http: int, status: str, message: str, details: list[Any] | None = None) -> Any:
    error: dict[str, Any] = {"code": http, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


def bad_request(violations: list[dict[str, str]]) -> Any:
    return status_error(
        400,
        "INVALID_ARGUMENT",
        "Request contains an invalid argument.",
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": violations[0]["reason"],
                "domain": "datamanager.googleapis.com",
            },
            {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations},
        ],
    )


def _violation(field: str, reason: str, description: str) -> dict[str, str]:
    return {"field": field, "description": description, "reason": reason}


class FakeDataManager(ScriptableFake):
    def __init__(
        self,
        token: str,
        account_id: str,
        *,
        actions: tuple[str, ...] = ("987654321",),
        login_account_id: str | None = None,
    ) -> None:
        super().__init__(self._handle)
        self.token = token
        self.account_id = account_id
        self.actions = set(actions)
        self.login_account_id = login_account_id
        self.accepted: list[dict[str, Any]] = []  # every event of every accepted request
        self.rejections: dict[str, tuple[str, str]] = {}  # gclid / transaction id → error

    def reject(
        self, key: str, reason: str = "INVALID_FORMAT", field: str = "ad_identifiers.gclid"
    ) -> None:
        """Events with this click id or transaction id fail validation."""
        self.rejections[key] = (reason, field)

    def rate_limit(self, times: int = 1, retry_after: str | None = None) -> None:
        headers = {"retry-after": retry_after} if retry_after else {}
        body = status_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.")
        for _ in range(times):
            self.script.append(Scripted(429, body, headers))

    def server_error(self, times: int = 1, status: int = 503) -> None:
        name = "INTERNAL" if status == 500 else "UNAVAILABLE"
        for _ in range(times):
            self.script.append(
                Scripted(status, status_error(status, name, "The service is unavailable."))
            )

    @property
    def ingest_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == PATH]

    @property
    def transaction_ids(self) -> list[str]:
        return [e.get("transactionId") for e in self.accepted]

    # --- validation ------------------------------------------------------------------------

    def _account(self, where: str, account: Any, out: list[dict[str, str]]) -> str | None:
        if not isinstance(account, dict):
            out.append(_violation(where, "REQUIRED_FIELD_MISSING", "required"))
            return None
        unknown = set(account) - ACCOUNT_FIELDS
        if unknown:
            out.append(
                _violation(f"{where}.{sorted(unknown)[0]}", "INVALID_ARGUMENT", "unknown field")
            )
        kind = account.get("accountType") or account.get("product")
        if kind not in ACCOUNT_TYPES:
            out.append(_violation(f"{where}.account_type", "INVALID_ENUM_VALUE", f"{kind!r}"))
        account_id = str(account.get("accountId") or "")
        if not account_id.isdigit():
            out.append(_violation(f"{where}.account_id", "INVALID_FORMAT", "digits only"))
        return account_id

    def _destinations(self, destinations: Any, out: list[dict[str, str]]) -> set[str]:
        references: set[str] = set()
        if not isinstance(destinations, list) or not destinations:
            out.append(_violation("destinations", "REQUIRED_FIELD_MISSING", "required"))
            return references
        if len(destinations) > MAX_DESTINATIONS:
            out.append(_violation("destinations", "TOO_MANY_DESTINATIONS", "at most 10"))
        for i, destination in enumerate(destinations):
            where = f"destinations[{i}]"
            if not isinstance(destination, dict):
                out.append(_violation(where, "INVALID_DESTINATION", "not an object"))
                continue
            unknown = set(destination) - DESTINATION_FIELDS
            if unknown:
                out.append(
                    _violation(f"{where}.{sorted(unknown)[0]}", "INVALID_ARGUMENT", "unknown field")
                )
            operating = self._account(
                f"{where}.operating_account", destination.get("operatingAccount"), out
            )
            if operating is not None and operating != self.account_id:
                out.append(
                    _violation(f"{where}.operating_account", "PERMISSION_DENIED", "no access")
                )
            if "loginAccount" in destination:
                login = self._account(f"{where}.login_account", destination["loginAccount"], out)
                if self.login_account_id and login != self.login_account_id:
                    out.append(
                        _violation(f"{where}.login_account", "PERMISSION_DENIED", "no access")
                    )
            elif self.login_account_id:
                out.append(
                    _violation(
                        f"{where}.login_account",
                        "PERMISSION_DENIED",
                        "access is through the manager",
                    )
                )
            if str(destination.get("productDestinationId") or "") not in self.actions:
                out.append(
                    _violation(
                        f"{where}.product_destination_id",
                        "INVALID_CONVERSION_ACTION_ID",
                        "unknown conversion action",
                    )
                )
            reference = str(destination.get("reference") or "")
            if reference in references:
                out.append(
                    _violation(f"{where}.reference", "DUPLICATE_DESTINATION_REFERENCE", "duplicate")
                )
            references.add(reference)
        return references

    def _event(
        self,
        i: int,
        event: Any,
        body: dict[str, Any],
        references: set[str],
        out: list[dict[str, str]],
    ) -> None:
        where = f"events[{i}]"
        if not isinstance(event, dict):
            out.append(_violation(where, "INVALID_EVENT", "not an object"))
            return
        unknown = set(event) - EVENT_FIELDS
        if unknown:
            out.append(
                _violation(f"{where}.{sorted(unknown)[0]}", "INVALID_ARGUMENT", "unknown field")
            )
        stamp = event.get("eventTimestamp")
        if not isinstance(stamp, str) or not TIMESTAMP.match(stamp):
            out.append(
                _violation(
                    f"{where}.event_timestamp",
                    "REQUIRED_FIELD_MISSING",
                    "RFC 3339 timestamp required",
                )
            )
        else:
            try:
                datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                out.append(_violation(f"{where}.event_timestamp", "INVALID_FORMAT", "not a date"))
        for reference in event.get("destinationReferences") or []:
            if reference not in references:
                out.append(
                    _violation(
                        f"{where}.destination_references", "INVALID_ARGUMENT", "no such destination"
                    )
                )
        ads = event.get("adIdentifiers") or {}
        if not isinstance(ads, dict) or set(ads) - AD_IDENTIFIER_FIELDS:
            out.append(_violation(f"{where}.ad_identifiers", "INVALID_ARGUMENT", "unknown field"))
            ads = {}
        consent = event.get("consent")
        if consent is not None and not _valid_consent(consent):
            out.append(_violation(f"{where}.consent", "INVALID_ARGUMENT", "invalid consent"))
        clicks = [name for name in ("gclid", "gbraid", "wbraid") if ads.get(name)]
        if len(clicks) > 1:
            out.append(
                _violation(
                    f"{where}.ad_identifiers", "INVALID_ARGUMENT", "set at most one click id"
                )
            )
        identifiers = (
            (event.get("userData") or {}).get("userIdentifiers")
            if isinstance(event.get("userData"), dict)
            else None
        )
        if "userData" in event:
            if not isinstance(identifiers, list) or not identifiers:
                out.append(
                    _violation(
                        f"{where}.user_data.user_identifiers", "REQUIRED_FIELD_MISSING", "required"
                    )
                )
                identifiers = []
            elif len(identifiers) > MAX_IDENTIFIERS:
                out.append(
                    _violation(f"{where}.user_data", "TOO_MANY_USER_IDENTIFIERS", "at most 10")
                )
            if body.get("encoding") not in ENCODINGS:
                out.append(
                    _violation("encoding", "REQUIRED_FIELD_MISSING", "required for user data")
                )
            for j, identifier in enumerate(identifiers):
                kinds = (
                    [k for k in ("emailAddress", "phoneNumber", "address") if k in identifier]
                    if isinstance(identifier, dict)
                    else []
                )
                if len(kinds) != 1 or set(identifier) - {"emailAddress", "phoneNumber", "address"}:
                    out.append(
                        _violation(
                            f"{where}.user_data.user_identifiers[{j}]",
                            "INVALID_ARGUMENT",
                            "exactly one identifier",
                        )
                    )
                    continue
                value = identifier[kinds[0]]
                if (
                    kinds[0] != "address"
                    and body.get("encoding") == "HEX"
                    and not SHA256_HEX.match(str(value))
                ):
                    out.append(
                        _violation(
                            f"{where}.user_data.user_identifiers[{j}]",
                            "INVALID_SHA256_FORMAT",
                            "SHA-256 lowercase hex expected",
                        )
                    )
        if not clicks and not identifiers:
            out.append(
                _violation(
                    where, "NO_IDENTIFIERS_PROVIDED", "no ad identifiers or user identifiers"
                )
            )
        if "currency" in event and not CURRENCY.match(str(event["currency"])):
            out.append(_violation(f"{where}.currency", "INVALID_CURRENCY_CODE", "ISO 4217"))
        if "conversionValue" in event and not isinstance(event["conversionValue"], (int, float)):
            out.append(_violation(f"{where}.conversion_value", "INVALID_NUMBER_FORMAT", "a number"))
        if "eventSource" in event and event["eventSource"] not in EVENT_SOURCES:
            out.append(_violation(f"{where}.event_source", "INVALID_ENUM_VALUE", "unknown"))
        for key in [*(ads[c] for c in clicks), event.get("transactionId")]:
            if key and key in self.rejections:
                reason, field = self.rejections[key]
                out.append(_violation(f"{where}.{field}", reason, "rejected by the test script"))

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.method != "POST" or recorded.path != PATH:
            return JSONResponse(status_error(404, "NOT_FOUND", "Not found"), status_code=404)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse(
                status_error(
                    401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
                ),
                status_code=401,
            )
        body = recorded.json
        if not isinstance(body, dict):
            return JSONResponse(
                status_error(400, "INVALID_ARGUMENT", "Invalid JSON payload."), status_code=400
            )
        unknown = set(body) - REQUEST_FIELDS
        if unknown:
            return JSONResponse(
                status_error(
                    400,
                    "INVALID_ARGUMENT",
                    f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}".',
                ),
                status_code=400,
            )
        violations: list[dict[str, str]] = []
        references = self._destinations(body.get("destinations"), violations)
        events = body.get("events")
        if not isinstance(events, list) or not events:
            violations.append(_violation("events", "REQUIRED_FIELD_MISSING", "required"))
            events = []
        elif len(events) > MAX_EVENTS:
            violations.append(_violation("events", "TOO_MANY_EVENTS", "at most 2000"))
        if "encoding" in body and body["encoding"] not in ENCODINGS:
            violations.append(_violation("encoding", "INVALID_ENUM_VALUE", "HEX or BASE64"))
        for i, event in enumerate(events):
            self._event(i, event, body, references, violations)
        if violations:
            return JSONResponse(bad_request(violations), status_code=400)
        if not body.get("validateOnly"):
            self.accepted.extend(events)
        return JSONResponse({"requestId": str(uuid.uuid4())})


# Consent (developers.google.com/data-manager/api/reference/rest/v1/Consent): adUserData
# and adPersonalization, each a ConsentStatus.
CONSENT_STATUSES = {"CONSENT_STATUS_UNSPECIFIED", "CONSENT_GRANTED", "CONSENT_DENIED"}


def _valid_consent(consent: Any) -> bool:
    return (
        isinstance(consent, dict)
        and set(consent) <= {"adUserData", "adPersonalization"}
        and all(value in CONSENT_STATUSES for value in consent.values())
    )
