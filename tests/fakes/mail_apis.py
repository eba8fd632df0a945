"""The four e-mail providers' sending APIs as they validate and answer, on 127.0.0.1:

- Amazon SES v2 `POST /v2/email/outbound-emails`: an `Authorization` header with AWS
  Signature Version 4 recomputed here (service `ses`, the canonical request over the
  signed headers and the body's SHA-256, a 15-minute clock window) — 403
  `SignatureDoesNotMatch` or `UnrecognizedClientException` otherwise; `Content.Raw.Data`
  must be base64 of a MIME message whose From is `FromEmailAddress`; 200 `{"MessageId"}`.
  An address starting with `rejected.` gets 400 `MessageRejected`.
- SendGrid v3 `POST /v3/mail/send`: `Authorization: Bearer <key>` (401 with `errors`),
  personalizations with `to`, `from.email`, `subject`, `content` with text/plain before
  text/html, custom args as strings only; 202 with `X-Message-Id` and no body.
- Postmark `POST /email` and `/email/batch`: `X-Postmark-Server-Token` (401, ErrorCode 10),
  JSON `From`/`To`/`Subject`, a body, `Headers` as Name/Value pairs, string `Metadata`
  values, at most 500 a batch (ErrorCode 410); per-mail `ErrorCode`, 406 for an address
  starting with `inactive.` (an inactive recipient); a batch answers 200 throughout.
- Mailgun `POST /v3/{domain}/messages`: basic auth `api:<key>` (401 "Forbidden"), a
  multipart/form-data body with `from`, `to`, `subject` and `html` or `text`, the domain
  the fake serves (404 "Domain not found"); 200 `{"id": "<…@domain>", "message": …}`.

Accepted mails are kept in `accepted`; a test scripts 429/5xx answers on `server.script`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import FakeServer, RecordedRequest


def _error(status: int, body: Any, **headers: str) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


class FakeSes:
    """SES v2 with one IAM key pair, in `region`."""

    def __init__(self, access_key: str, secret: str, region: str = "sa-east-1") -> None:
        self.access_key, self.secret, self.region = access_key, secret, region
        self.accepted: list[dict[str, Any]] = []
        self.server = FakeServer(self._handle)

    def _signature_ok(self, request: Request, body: bytes) -> str | None:
        """None when the signature verifies, else the error type."""
        header = request.headers.get("authorization", "")
        if not header.startswith("AWS4-HMAC-SHA256 "):
            return "MissingAuthenticationTokenException"
        parts = dict(
            item.strip().split("=", 1)
            for item in header.removeprefix("AWS4-HMAC-SHA256 ").split(",")
        )
        key_id, date, region, service, terminal = parts.get("Credential", "").split("/")
        if key_id != self.access_key:
            return "UnrecognizedClientException"
        amz_date = request.headers.get("x-amz-date", "")
        stamp = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if abs((datetime.now(UTC) - stamp).total_seconds()) > 900 or amz_date[:8] != date:
            return "InvalidSignatureException"
        if (region, service, terminal) != (self.region, "ses", "aws4_request"):
            return "SignatureDoesNotMatch"
        signed = parts["SignedHeaders"].split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            return "SignatureDoesNotMatch"
        canonical = "\n".join(
            [
                request.method,
                request.url.path,
                "",
                "".join(f"{h}:{' '.join(request.headers.get(h, '').split())}\n" for h in signed),
                ";".join(signed),
                hashlib.sha256(body).hexdigest(),
            ]
        )
        scope = f"{date}/{region}/{service}/aws4_request"
        to_sign = (
            f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n"
            + hashlib.sha256(canonical.encode()).hexdigest()
        )
        key = f"AWS4{self.secret}".encode()
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("Signature", "")):
            return "SignatureDoesNotMatch"
        return None

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if recorded.path != "/v2/email/outbound-emails" or request.method != "POST":
            return _error(404, {"message": "Not Found"})
        problem = self._signature_ok(request, recorded.body)
        if problem:
            return _error(403, {"message": problem}, **{"x-amzn-ErrorType": f"{problem}:"})
        body = recorded.json or {}
        try:
            raw = base64.b64decode(body["Content"]["Raw"]["Data"], validate=True)
            to = body["Destination"]["ToAddresses"]
        except (KeyError, TypeError, ValueError):
            return _error(400, {"message": "bad"}, **{"x-amzn-ErrorType": "BadRequestException:"})
        mime = message_from_bytes(raw, policy=policy.default)
        if body.get("FromEmailAddress") not in str(mime["From"]) or not to:
            return _error(400, {"message": "bad"}, **{"x-amzn-ErrorType": "BadRequestException:"})
        if any(address.startswith("rejected.") for address in to):
            return _error(
                400,
                {"message": "Email address is not verified."},
                **{"x-amzn-ErrorType": "MessageRejected:"},
            )
        self.accepted.append({"body": body, "mime": mime})
        return JSONResponse({"MessageId": f"0100018c-{uuid.uuid4()}-000000"})


class FakeSendGrid:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.accepted: list[dict[str, Any]] = []
        self.server = FakeServer(self._handle)

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if recorded.path != "/v3/mail/send" or request.method != "POST":
            return _error(404, {"errors": [{"message": "not found"}]})
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(
                401,
                {
                    "errors": [
                        {
                            "message": "The provided authorization grant is invalid, expired, or revoked",
                            "field": None,
                            "help": None,
                        }
                    ]
                },
            )
        body = recorded.json
        errors = []
        if not isinstance(body, dict):
            return _error(400, {"errors": [{"message": "Bad Request", "field": None}]})
        personalizations = body.get("personalizations") or []
        if not personalizations or not all(p.get("to") for p in personalizations):
            errors.append(
                {"message": "The to array is required.", "field": "personalizations.0.to"}
            )
        for p in personalizations:
            if any(not isinstance(v, str) for v in (p.get("custom_args") or {}).values()):
                errors.append(
                    {
                        "message": "custom args must be strings",
                        "field": "personalizations.0.custom_args",
                    }
                )
        if not (body.get("from") or {}).get("email"):
            errors.append({"message": "The from object must be provided.", "field": "from.email"})
        if not body.get("subject"):
            errors.append({"message": "The subject is required.", "field": "subject"})
        types = [c.get("type") for c in body.get("content") or []]
        if not types or (
            "text/html" in types
            and "text/plain" in types
            and types.index("text/plain") > types.index("text/html")
        ):
            errors.append({"message": "text/plain must be first", "field": "content"})
        if errors:
            return _error(400, {"errors": errors})
        self.accepted.append(body)
        return Response(status_code=202, headers={"x-message-id": f"sg{uuid.uuid4().hex[:20]}"})


class FakePostmark:
    def __init__(self, server_token: str) -> None:
        self.server_token = server_token
        self.accepted: list[dict[str, Any]] = []
        self.server = FakeServer(self._handle)

    def _one(self, message: Any) -> dict[str, Any]:
        if not isinstance(message, dict) or not all(
            message.get(k) for k in ("From", "To", "Subject")
        ):
            return {"ErrorCode": 300, "Message": "Invalid email request"}
        if not (message.get("HtmlBody") or message.get("TextBody")):
            return {
                "ErrorCode": 300,
                "Message": "Provide either email TextBody or HtmlBody or both.",
            }
        headers = message.get("Headers") or []
        if not all(isinstance(h, dict) and set(h) == {"Name", "Value"} for h in headers):
            return {"ErrorCode": 300, "Message": "Invalid 'Headers'"}
        if any(not isinstance(v, str) for v in (message.get("Metadata") or {}).values()):
            return {"ErrorCode": 300, "Message": "Invalid 'Metadata'"}
        if str(message["To"]).startswith("inactive."):
            return {
                "ErrorCode": 406,
                "Message": "You tried to send to a recipient that has been marked as inactive.",
            }
        self.accepted.append(message)
        return {
            "To": message["To"],
            "SubmittedAt": datetime.now(UTC).isoformat(),
            "MessageID": str(uuid.uuid4()),
            "ErrorCode": 0,
            "Message": "OK",
        }

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.headers.get("x-postmark-server-token") != self.server_token:
            return _error(
                401, {"ErrorCode": 10, "Message": "Request does not contain a valid Server token."}
            )
        if request.method != "POST" or recorded.path not in ("/email", "/email/batch"):
            return _error(404, {"ErrorCode": 404, "Message": "Not found"})
        if recorded.json is None:
            return _error(422, {"ErrorCode": 402, "Message": "Invalid JSON"})
        if recorded.path == "/email":
            answer = self._one(recorded.json)
            return JSONResponse(answer, status_code=200 if answer["ErrorCode"] == 0 else 422)
        if not isinstance(recorded.json, list):
            return _error(422, {"ErrorCode": 403, "Message": "Incompatible JSON"})
        if len(recorded.json) > 500:
            return _error(422, {"ErrorCode": 410, "Message": "Too many batch messages"})
        return JSONResponse([self._one(message) for message in recorded.json])


def _form(content_type: str, body: bytes) -> dict[str, str]:
    """A multipart/form-data body's fields (the standard library's MIME parser)."""
    parsed = message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=policy.HTTP
    )
    values = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            values[name] = part.get_payload(decode=True).decode()
    return values


class FakeMailgun:
    def __init__(self, api_key: str, domain: str) -> None:
        self.api_key, self.domain = api_key, domain
        self.accepted: list[dict[str, str]] = []
        self.server = FakeServer(self._handle)

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        token = base64.b64encode(f"api:{self.api_key}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {token}":
            return Response("Forbidden", status_code=401)
        if request.method != "POST" or not recorded.path.endswith("/messages"):
            return _error(404, {"message": "Not Found"})
        if recorded.path != f"/v3/{self.domain}/messages":
            return _error(404, {"message": "Domain not found"})
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            return _error(400, {"message": "expected multipart/form-data"})
        values = _form(content_type, recorded.body)
        for required in ("from", "to", "subject"):
            if not values.get(required):
                return _error(400, {"message": f"'{required}' parameter is missing"})
        if not (values.get("html") or values.get("text")):
            return _error(
                400, {"message": "Need at least one of 'text' or 'html' parameters specified"}
            )
        self.accepted.append(values)
        return JSONResponse(
            {"id": f"<{uuid.uuid4().hex}@{self.domain}>", "message": "Queued. Thank you."}
        )
