"""What the provider API senders share: one HTTPS call per mail (Postmark's batches
aside) through `core.http.HttpClient` — 429, 408 and 5xx answers and lost connections
retried in place with exponential backoff (honouring `Retry-After`), then left for the
sending job's own retry (`retry`); any other 4xx fails the message with the provider's
error code (`failed`, e.g. `sendgrid_400`, `ses_MessageRejected`, `postmark_406`). At most
`rate_per_second` calls start a second, `concurrency` in flight.

Errors keep the status and the provider's code only: never the address, the body or the
provider's message text (which may quote the address)."""

from __future__ import annotations

import asyncio
import time

import httpx

from rastro.core.http import HttpClient, RetryPolicy
from rastro.email.senders.base import Outcome, OutgoingMail, SendResult

TIMEOUT_SECONDS = 30.0
RETRY = RetryPolicy(attempts=3, base_delay=1.0, max_delay=30.0)


def unsubscribe_headers(mail: OutgoingMail) -> dict[str, str]:
    """Our id and, for a campaign's mail, RFC 8058's one-click unsubscribe headers."""
    headers = {"X-Rastro-Mid": str(mail.message_id)}
    if mail.unsubscribe_url:
        targets = [f"<{mail.unsubscribe_url}>"]
        if mail.unsubscribe_mailto:
            targets.append(f"<{mail.unsubscribe_mailto}>")
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    headers.update(mail.headers)
    return headers


def outcome_of(status: int) -> Outcome:
    """A transient status (after the in-place retries) waits for the job's retry; any
    other 4xx is permanent."""
    return "retry" if status in RETRY.statuses or status >= 500 else "failed"


class Pacer:
    """Spaces call starts `1 / rate` seconds apart (shared by the concurrent calls)."""

    def __init__(self, rate_per_second: int) -> None:
        self.interval = 1.0 / max(1, rate_per_second)
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


class ApiSender:
    """Base of the per-mail API senders: `_send_one` makes one call and reads its answer."""

    kind = "api"

    def __init__(
        self,
        base_url: str,
        *,
        rate_per_second: int = 10,
        concurrency: int = 4,
        retry: RetryPolicy = RETRY,
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.pacer = Pacer(rate_per_second)
        self.concurrency = max(1, concurrency)
        self.retry = retry
        self.headers = headers or {}
        self.transport = transport

    def client(self) -> HttpClient:
        return HttpClient(
            self.base_url,
            timeout=TIMEOUT_SECONDS,
            retry=self.retry,
            headers=self.headers,
            transport=self.transport,
        )

    async def send(self, mails: list[OutgoingMail]) -> list[SendResult]:
        gate = asyncio.Semaphore(self.concurrency)
        async with self.client() as client:

            async def one(mail: OutgoingMail) -> SendResult:
                async with gate:
                    await self.pacer.wait()
                    try:
                        return await self._send_one(client, mail)
                    except (httpx.TimeoutException, httpx.NetworkError) as error:
                        return SendResult(mail.message_id, "retry", error=type(error).__name__)

            return list(await asyncio.gather(*(one(mail) for mail in mails)))

    async def _send_one(self, client: HttpClient, mail: OutgoingMail) -> SendResult:
        raise NotImplementedError

    def failure(self, mail: OutgoingMail, status: int, code: object | None = None) -> SendResult:
        detail = f"{self.kind}_{code if code not in (None, '') else status}"
        return SendResult(mail.message_id, outcome_of(status), error=detail[:200])
