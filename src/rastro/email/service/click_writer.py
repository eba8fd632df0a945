"""Group commit for the click redirect: the clicks of concurrent requests share one CRM
statement, and a click is answered (redirected) once that statement committed. It is the
click's only durable write before the answer:

* `rastro_email_clicks()` reads the messages, links and UTMs (its answer is what the
  redirect needs; a message or link it does not find is a 404), queues each found click
  in `email_click_queue` with its BI event's id, and sets first click times it can set
  without waiting for a lock;
* then, off the request's path, this process's drain task stores the queued clicks'
  `click` events in BI and empties the queue (`click_drain.drain`, a few at a time, every
  `drain_seconds`); the `drain_clicks` job sweeps whatever a stopped process left.

So an acknowledged click is never lost (it is committed in the queue before the answer)
and never counted twice (its event id is chosen here once; BI skips stored ids). When
the group's statement fails its requests get the error: nothing was queued, nothing is
acknowledged, the visitor clicks again. The writer owns these boundaries: no code here
commits.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog

from rastro.core.group_failure import fail_group
from rastro.core.units import autocommit_connection
from rastro.email.contracts import RASTRO_EMAIL_CLICKS, ClickedLink, EmailClick, QueuedClickRow
from rastro.email.service import click_drain

log = structlog.get_logger(__name__)
USER_AGENT_CHARS = 300
DRAIN_BATCH = 2_000  # clicks per drain statement
PENDING_LIMIT = 200_000  # clicks held for the drain; past it the sweep stores the oldest
# A click, when it was queued (perf_counter) and its request's future.
_Item = tuple[EmailClick, float, "asyncio.Future[ClickedLink | None]"]
_Connections = list[psycopg.AsyncConnection[Any] | None]

_Samples = deque[tuple[float, float]]  # (Unix time, value)


@dataclass
class ClickTimings:
    """Where the clicks' time went, in milliseconds (the benchmarks' instrumentation; a
    writer keeps none unless given one): each click's wait for its group to start, each
    group's CRM statement (to its commit: when the group is answered) and size, and each
    drain (BI then CRM, after the answers) and its size; each sample with the time it was
    taken, so a benchmark can split them by phase."""

    samples: int = 500_000
    wait: _Samples = field(init=False)
    crm: _Samples = field(init=False)
    drain: _Samples = field(init=False)
    sizes: _Samples = field(init=False)
    drain_sizes: _Samples = field(init=False)

    def __post_init__(self) -> None:
        self.wait, self.crm, self.drain, self.sizes, self.drain_sizes = (
            deque(maxlen=self.samples) for _ in range(5)
        )

    def raw(self) -> dict[str, list[tuple[float, float]]]:
        names = ("wait", "crm", "drain", "sizes", "drain_sizes")
        return {name: list(getattr(self, name)) for name in names}


def spread(values: list[float]) -> dict[str, float]:
    """p50, p99 and max of some timings (empty when there are none)."""
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p99": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "max": round(ordered[-1], 2),
    }


async def _connected(conninfo: str, connections: _Connections, index: int) -> Any:
    connection = connections[index]
    if connection is None or connection.closed:
        connection = connections[index] = await autocommit_connection(conninfo)
    return connection


async def _close(connections: _Connections, *, only_broken: bool = False) -> None:
    for index, connection in enumerate(connections):
        if connection is not None and (not only_broken or connection.broken):
            await connection.close()
            connections[index] = None


class ClickWriter:
    clicks_call = RASTRO_EMAIL_CLICKS  # the group's CRM statement

    def __init__(
        self,
        crm_conninfo: str,
        bi_conninfo: str,
        *,
        writers: int = 2,
        max_clicks: int = 64,
        drain_seconds: float = 0.05,
        timings: ClickTimings | None = None,
    ) -> None:
        self._crm, self._bi = crm_conninfo, bi_conninfo
        self._writers = writers
        self._max_clicks = max_clicks
        self._drain_seconds = drain_seconds
        self._queue: asyncio.Queue[_Item] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: list[QueuedClickRow] = []  # acknowledged, their events not stored
        self._wake = asyncio.Event()  # clicks to drain
        self._idle = asyncio.Event()  # none held, none being drained
        self._idle.set()
        self.timings = timings

    def _start(self) -> asyncio.Queue[_Item]:
        if self._queue is None:
            self._queue = asyncio.Queue(maxsize=20_000)
            self._tasks = [asyncio.create_task(self._run()) for _ in range(self._writers)]
            self._tasks.append(asyncio.create_task(self._drain_loop()))
        return self._queue

    async def submit(self, click: EmailClick) -> ClickedLink | None:
        """Record one click; returns its message's campaign, recipient and link (None when
        they are not the organization's) once committed (raises if it was not)."""
        queue = self._start()
        future: asyncio.Future[ClickedLink | None] = asyncio.get_running_loop().create_future()
        await queue.put((click, time.perf_counter(), future))
        return await future

    async def _run(self) -> None:
        """One writer: its own CRM connection (plain psycopg, no ORM here)."""
        assert self._queue is not None
        queue = self._queue
        connections: _Connections = [None]
        try:
            while True:
                group = [await queue.get()]
                while not queue.empty() and len(group) < self._max_clicks:
                    group.append(queue.get_nowait())
                try:
                    crm = await _connected(self._crm, connections, 0)
                    try:
                        hits = await self._write(crm, group)
                    except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
                        # Nothing of the group was committed: once more (same event ids).
                        hits = await self._write(crm, group)
                except Exception as exc:  # the whole group failed: every request learns it
                    unavailable = fail_group(
                        (future for *_, future in group),
                        exc,
                        log=log,
                        event="email_clicks",
                        clicks=len(group),
                    )
                    await _close(connections, only_broken=not unavailable)
                    continue
                for (_, _, future), hit in zip(group, hits, strict=True):
                    if not future.done():
                        future.set_result(hit)
                self._hold(
                    [
                        {
                            **click,
                            "campaign_id": uuid.UUID(hit["campaign_id"]),
                            "contact_id": uuid.UUID(hit["contact_id"]),
                        }
                        for (click, _, _), hit in zip(group, hits, strict=True)
                        if hit is not None
                    ]
                )
        finally:
            await _close(connections)

    async def _write(
        self, crm: psycopg.AsyncConnection[Any], group: list[_Item]
    ) -> list[ClickedLink | None]:
        """The group's CRM statement; the CRM's answer per click once committed."""
        started = time.perf_counter()
        timings = self.timings
        hits = await self.clicks_call.on(crm, [click for click, *_ in group])
        if timings is not None:
            now = time.time()
            timings.sizes.append((now, len(group)))
            timings.wait.extend((now, (started - queued) * 1000) for _, queued, _ in group)
            timings.crm.append((now, (time.perf_counter() - started) * 1000))
        return hits

    def _hold(self, rows: list[QueuedClickRow]) -> None:
        """Keep acknowledged clicks for the drain task (their queue rows are committed)."""
        if not rows:
            return
        self._pending.extend(rows)
        self._idle.clear()
        if len(self._pending) > PENDING_LIMIT:  # BI away for long: the sweep has them
            del self._pending[: len(self._pending) - PENDING_LIMIT]
        self._wake.set()

    async def _drain_loop(self) -> None:
        """Store the acknowledged clicks' events (BI) and empty their queue rows (CRM),
        letting them gather for `drain_seconds` (one pair of statements for many)."""
        connections: _Connections = [None, None]
        try:
            while True:
                await self._wake.wait()
                if self._drain_seconds > 0:
                    await asyncio.sleep(self._drain_seconds)
                self._wake.clear()
                await self._drain_pending(connections)
        finally:
            await _close(connections)

    async def _drain_pending(self, connections: _Connections) -> None:
        try:
            while self._pending:
                rows = self._pending[:DRAIN_BATCH]
                del self._pending[:DRAIN_BATCH]
                started = time.perf_counter()
                try:
                    bi = await _connected(self._bi, connections, 0)
                    crm = await _connected(self._crm, connections, 1)
                    await click_drain.drain(click_drain.On(bi), click_drain.On(crm), rows)
                except Exception as exc:  # they stay queued in the CRM: the sweep stores them
                    log.warning(
                        "email_click_drain_failed",
                        clicks=len(rows) + len(self._pending),
                        error=type(exc).__name__,
                    )
                    self._pending.clear()
                    await _close(connections)
                    return
                if self.timings is not None:
                    now = time.time()
                    self.timings.drain.append((now, (time.perf_counter() - started) * 1000))
                    self.timings.drain_sizes.append((now, len(rows)))
        finally:
            if not self._pending:
                self._idle.set()

    async def settled(self) -> None:
        """Wait until every click acknowledged so far has its event stored (or its drain
        failed, leaving it to the sweep)."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop the writers, then drain what they acknowledged (what a stop cuts short
        stays queued in the CRM for the sweep)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._queue = None
        connections: _Connections = [None, None]
        try:
            await asyncio.wait_for(self._drain_pending(connections), timeout=10)
        except TimeoutError:
            log.warning("email_click_drain_stopped", clicks=len(self._pending))
        finally:
            await _close(connections)
