"""The one outbound HTTP layer: timeouts, retries with exponential backoff and full jitter
(honouring `Retry-After`), and a base URL that a credential's `api_url` may override. Its
`RetryPolicy` is also the rule for work a job queue retries later (`RetryPolicy.queued`).

Tests point the base URL at local fake servers on 127.0.0.1; nothing here knows a platform.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


# Work a job queue retries later (conversion syncs, CRM pushes) waits at most this long.
QUEUED_MAX_DELAY = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """When to try again, the one rule for calls `HttpClient` retries in place and for work a
    job queue retries later: before retry number `retry` (1-based) wait a uniform time in
    [0, min(max_delay, base_delay * 2**(retry - 1))] (exponential backoff, full jitter), and
    never less than the server's Retry-After (itself at most `max_delay`).

    `attempts` and `statuses` are `HttpClient`'s: how often a call is tried in place and
    which statuses are transient. Queued work counts its attempts where it stores them."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    statuses: frozenset[int] = field(default=RETRY_STATUSES)

    @classmethod
    def queued(cls, base_delay: float, *, max_delay: float = QUEUED_MAX_DELAY) -> RetryPolicy:
        """The policy of work a job queue retries later (by default at most an hour apart)."""
        return cls(base_delay=base_delay, max_delay=max_delay)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        seconds = random.uniform(0, ceiling)  # noqa: S311 (jitter, not a secret)
        if retry_after is not None:
            seconds = max(seconds, min(retry_after, self.max_delay))
        return seconds

    def wait(self, retry: int, retry_after: float | None = None) -> timedelta:
        """`delay` as a timedelta, for scheduling queued work."""
        return timedelta(seconds=self.delay(retry, retry_after))


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def resolve_base_url(api_url: str | None, default: str | None) -> str | None:
    """A credential's `api_url` wins over the service's default base URL."""
    url = api_url or default
    return url.rstrip("/") if url else None


class HttpClient:
    """An httpx client bound to one base URL with the retry policy applied to every call."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            headers={"user-agent": "Rastro/0.1", **(headers or {})},
            transport=transport,
            follow_redirects=False,
        )

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send, retrying transient failures; the last response (or error) is returned/raised."""
        for attempt in range(self.retry.attempts):
            last = attempt == self.retry.attempts - 1
            try:
                response = await self._client.request(method, url, **kwargs)
            except (httpx.TimeoutException, httpx.NetworkError):
                if last:
                    raise
                await self._sleep(self.retry.delay(attempt + 1))
                continue
            if response.status_code not in self.retry.statuses or last:
                return response
            await self._sleep(self.retry.delay(attempt + 1, retry_after_seconds(response)))
        raise AssertionError("unreachable")

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()
