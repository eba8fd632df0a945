"""`on_page_viewed`: what reacts to a stored page view without the collector knowing it
(a funnel's live monitor places the session on the funnel step a URL names).

Listeners are awaited after the batch committed, in the process that received it, with
the databases and the live publisher; each decides from the URL alone (no query) whether
the view is its business, so pages that are nobody's cost nothing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from rastro.core.db import Databases
from rastro.core.live import Topic

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PageViewed:
    """The last page view of a stored batch of a human visitor's session."""

    organization_id: uuid.UUID
    session_id: str  # the server's session id
    page_url: str
    new_session: bool


class Publish(Protocol):
    async def __call__(
        self,
        organization_id: uuid.UUID,
        event: str,
        data: dict[str, Any],
        *,
        topic: Topic | None = None,
    ) -> None: ...


async def publish_nowhere(
    organization_id: uuid.UUID,
    event: str,
    data: dict[str, Any],
    *,
    topic: Topic | None = None,
) -> None:
    """The publisher of a process without live clients (the collector's tests)."""


PageViewListener = Callable[[Databases, Publish, PageViewed], Awaitable[None]]
_LISTENERS: list[PageViewListener] = []


def on_page_viewed(listener: PageViewListener) -> PageViewListener:
    """Register a listener (as a decorator); registering one twice keeps one."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


async def notify(databases: Databases, publish: Publish, view: PageViewed) -> None:
    """Hand the view to every listener; a failing listener is logged, never the
    tracker's problem (the batch is already stored)."""
    for listener in list(_LISTENERS):
        try:
            await listener(databases, publish, view)
        except Exception as error:
            log.warning("page_view_listener_failed", error=type(error).__name__)
