"""One attempt to deliver a signed outbound webhook (analytics' alerts, the funnels'
recovery actions): the JSON body POSTed with Rastro's signature headers (`signing`), the
event name and the delivery id (the same on every attempt, so a receiver can drop
repeats), and what the answer means for a retry. The callers keep their own delivery rows
and schedule the retries (`RetryPolicy.queued`)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from rastro.core.http import HttpClient, RetryPolicy, retry_after_seconds
from rastro.core.signing import signed_headers

# Answers after which the same delivery is tried again later.
TRANSIENT = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    transient: bool  # worth another attempt later
    http: int | None = None  # the answer's status (None: no answer)
    error: str | None = None  # "HTTP 500", or the network error's class
    retry_after: float | None = None  # seconds the receiver asked to wait


def valid_url(value: str | None) -> bool:
    """An http(s) URL with a host, at most 2,000 characters."""
    if not value or len(value) > 2000:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


async def post_signed(
    url: str,
    secret: str,
    body: bytes,
    *,
    event: str,
    delivery_id: str,
    timeout: float,  # noqa: ASYNC109  (the HTTP client's own timeout)
) -> Attempt:
    """POST `body` once (no retry inside) signed with `secret`."""
    try:
        async with HttpClient(url, timeout=timeout, retry=RetryPolicy(attempts=1)) as client:
            response = await client.post(
                url,
                content=body,
                headers={
                    "content-type": "application/json",
                    "x-rastro-event": event,
                    "x-rastro-delivery": delivery_id,
                    **signed_headers(secret, body),
                },
            )
    except (httpx.TimeoutException, httpx.TransportError) as failure:
        return Attempt(delivered=False, transient=True, error=type(failure).__name__)
    status = response.status_code
    if response.is_success:
        return Attempt(delivered=True, transient=False, http=status)
    return Attempt(
        delivered=False,
        transient=status in TRANSIENT,
        http=status,
        error=f"HTTP {status}",
        retry_after=retry_after_seconds(response),
    )
