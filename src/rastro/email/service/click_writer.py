"""Group commit for the click redirect: the clicks of concurrent requests share one CRM
statement and one BI statement.

A click is answered (redirected) only after both statements holding it committed, so an
acknowledged click is never lost; committing many clicks at once is what lets one process
keep up with thousands a second (each commit waits for the disk once per group, not twice
per click). The group's CRM work is one `rastro_email_clicks()` call (the messages, links
and UTMs read, first click times set) and its events one `rastro_email_events()` call,
each an `AutocommitCall` on the writer's own autocommit connections: the writer owns that
boundary, no code here commits. When the CRM statement committed and the BI one failed,
the group's requests get the error (nothing acknowledged); the first click times stay set
and the visitor's next click adds the event.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import psycopg
import structlog

from rastro.core.group_failure import fail_group
from rastro.core.ids import uuid7
from rastro.core.units import autocommit_connection
from rastro.email.contracts import (
    RASTRO_EMAIL_CLICKS,
    RASTRO_EMAIL_EVENTS,
    ClickedLink,
    EmailClick,
    EmailEventRow,
)

log = structlog.get_logger(__name__)
_Item = tuple[EmailClick, str, "asyncio.Future[ClickedLink | None]"]  # click, user agent


def click_event(click: EmailClick, hit: ClickedLink, user_agent: str) -> EmailEventRow:
    """The `click` event of a click whose message and link were found."""
    return {
        "event_id": uuid7(),
        "organization_id": click["organization_id"],
        "campaign_id": uuid.UUID(hit["campaign_id"]),
        "message_id": click["message_id"],
        "contact_id": uuid.UUID(hit["contact_id"]),
        "link_id": click["link_id"],
        "type": "click",
        "subtype": None,
        "is_machine": False,
        "source": "tracker",
        "external_id": None,
        "detail": {"user_agent": user_agent[:300]},
        "occurred_at": click["clicked_at"],
        "recorded_at": click["clicked_at"],
    }


class ClickWriter:
    def __init__(
        self, crm_conninfo: str, bi_conninfo: str, *, writers: int = 2, max_clicks: int = 64
    ) -> None:
        self._conninfo = (crm_conninfo, bi_conninfo)
        self._writers = writers
        self._max_clicks = max_clicks
        self._queue: asyncio.Queue[_Item] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def _start(self) -> asyncio.Queue[_Item]:
        if self._queue is None:
            self._queue = asyncio.Queue(maxsize=20_000)
            self._tasks = [asyncio.create_task(self._run()) for _ in range(self._writers)]
        return self._queue

    async def submit(self, click: EmailClick, user_agent: str) -> ClickedLink | None:
        """Record one click; returns its message's campaign, recipient and link (None when
        they are not the organization's) once committed (raises if it was not)."""
        queue = self._start()
        future: asyncio.Future[ClickedLink | None] = asyncio.get_running_loop().create_future()
        await queue.put((click, user_agent, future))
        return await future

    async def _run(self) -> None:
        """One writer: its own CRM and BI connections (plain psycopg, no ORM here)."""
        assert self._queue is not None
        queue = self._queue
        connections: list[psycopg.AsyncConnection[Any] | None] = [None, None]
        try:
            while True:
                group = [await queue.get()]
                while not queue.empty() and len(group) < self._max_clicks:
                    group.append(queue.get_nowait())
                try:
                    crm, bi = await self._connected(connections)
                    hits = await RASTRO_EMAIL_CLICKS.on(crm, [click for click, _, _ in group])
                    events = [
                        click_event(click, hit, agent)
                        for (click, agent, _), hit in zip(group, hits, strict=True)
                        if hit is not None
                    ]
                    if events:
                        await RASTRO_EMAIL_EVENTS.on(bi, events)
                except Exception as exc:  # the whole group failed: every request learns it
                    unavailable = fail_group(
                        (future for _, _, future in group),
                        exc,
                        log=log,
                        event="email_clicks",
                        clicks=len(group),
                    )
                    for index, connection in enumerate(connections):
                        if connection is not None and (connection.broken or unavailable):
                            await connection.close()
                            connections[index] = None
                    continue
                for (_, _, future), hit in zip(group, hits, strict=True):
                    if not future.done():
                        future.set_result(hit)
        finally:
            for connection in connections:
                if connection is not None:
                    await connection.close()

    async def _connected(
        self, connections: list[psycopg.AsyncConnection[Any] | None]
    ) -> tuple[psycopg.AsyncConnection[Any], psycopg.AsyncConnection[Any]]:
        for index, conninfo in enumerate(self._conninfo):
            connection = connections[index]
            if connection is None or connection.closed:
                connections[index] = await autocommit_connection(conninfo)
        crm, bi = connections
        assert crm is not None
        assert bi is not None
        return crm, bi

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._queue = None
