"""A webhook receiver: keeps every request (body bytes and headers) for the test to verify.

Given the shared `secret`, it verifies Rastro's signature as a receiver would (HMAC-SHA256
over `timestamp + "." + raw body`, constant-time comparison, timestamps at most five
minutes old: `rastro.core.signing`) and answers 401 to a request that fails it; each
verdict is kept in `verified`, in the order of `requests`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rastro.core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake


class FakeWebhookReceiver(ScriptableFake):
    def __init__(self, secret: str | None = None) -> None:
        super().__init__(self._handle)
        self.secret = secret
        self.verified: list[bool] = []

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if self.secret is not None:
            valid = verify(
                self.secret,
                recorded.headers.get(TIMESTAMP_HEADER, ""),
                recorded.body,
                recorded.headers.get(SIGNATURE_HEADER, ""),
            )
            self.verified.append(valid)
            if not valid:
                return JSONResponse({"error": "bad signature"}, status_code=401)
        return JSONResponse({"received": True})
