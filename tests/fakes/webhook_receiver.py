"""A webhook receiver: keeps every request (body bytes and headers) for the test to verify."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake


class FakeWebhookReceiver(ScriptableFake):
    def __init__(self) -> None:
        super().__init__(self._handle)

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        return JSONResponse({"received": True})
