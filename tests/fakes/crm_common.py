"""What the CRM fakes share: failing or hanging on demand before the real answer."""

from __future__ import annotations

from tests.fakes.base import FakeServer, Scripted


class ScriptableFake(FakeServer):
    def fail(self, times: int, status: int = 503, body: object = None, **headers: str) -> None:
        """The next `times` requests answer `status` (the real API's error body if given)."""
        for _ in range(times):
            self.script.append(
                Scripted(status, body if body is not None else {"error": "unavailable"}, headers)
            )

    def hang(self, seconds: float, times: int = 1) -> None:
        """The next `times` requests answer only after `seconds` (past the client timeout)."""
        for _ in range(times):
            self.script.append(Scripted(200, {}, delay=seconds))
