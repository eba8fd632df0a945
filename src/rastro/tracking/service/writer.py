"""Group commit for the collector: batches of concurrent requests share one transaction.

A request is answered only after the transaction holding its batch committed, so nothing
acknowledged is lost; committing many batches at once is what lets one process keep up
with thousands of requests per second (each commit waits for the disk once, not once per
request). The group's transaction is one `core.units.AutocommitCall` of `rastro_collect`
(`tracking.contracts.RASTRO_COLLECT`) on each writer's own autocommit connection: the
writer owns that boundary, no code here commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import structlog

from rastro.core.group_failure import fail_group
from rastro.core.units import autocommit_connection
from rastro.tracking.contracts import RASTRO_COLLECT, CollectOutcome, CollectRefused
from rastro.tracking.service.collector import Prepared, decode, stored_batches

log = structlog.get_logger(__name__)
Outcome = CollectOutcome | None  # None: the batch had nothing to store
_Item = tuple[Prepared, "asyncio.Future[Outcome]", int]  # batch, its answer, attempts
Store = Callable[[psycopg.AsyncConnection[Any], list[Prepared]], Awaitable[list[Outcome]]]
# A batch that lost a deadlock or a serialization race is tried again in a later group.
TRANSIENT = ("internal: 40P01", "internal: 40001", "internal: 55P03")
MAX_ATTEMPTS = 3


def settle(group: list[_Item], outcomes: list[Outcome]) -> list[_Item]:
    """Answer every request of a committed group; returns the batches to try again."""
    again: list[_Item] = []
    for (prepared, future, attempts), outcome in zip(group, outcomes, strict=True):
        error = outcome["error"] if outcome is not None and "error" in outcome else ""
        if error.startswith(TRANSIENT) and attempts < MAX_ATTEMPTS:
            again.append((prepared, future, attempts + 1))
        elif not future.done():
            future.set_result(outcome)
    return again


def _lock_order(item: _Item) -> tuple[str, str, str]:
    batch = item[0].batch
    if batch is None:
        return ("", "", "")
    return (str(batch["org"]), batch["visitor"], batch["csid"])


async def store_group(
    connection: psycopg.AsyncConnection[Any], batches: list[Prepared]
) -> list[Outcome]:
    """Store a group in one autocommit statement (one transaction, one round trip); each
    batch is a subtransaction, so a bad batch gets its own error and its neighbours stay."""
    return decode(await RASTRO_COLLECT.on(connection, stored_batches(batches)), batches)


class GroupWriter:
    def __init__(
        self,
        conninfo: str,
        *,
        writers: int = 3,
        # Each batch is a subtransaction; PostgreSQL keeps up to 64 per transaction in
        # shared memory, past that every snapshot pays for a lookup in pg_subtrans.
        max_batches: int = 48,
        max_events: int = 400,
        store: Store = store_group,
    ) -> None:
        """`store` writes one group on a writer's connection and returns one outcome per
        batch (the benchmarks swap it to measure the grouping alone)."""
        self._conninfo = conninfo
        self._store = store
        self._writers = writers
        self._max_batches = max_batches
        self._max_events = max_events
        self._queue: asyncio.Queue[_Item] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def _start(self) -> asyncio.Queue[_Item]:
        if self._queue is None:
            self._queue = asyncio.Queue(maxsize=20_000)
            self._tasks = [asyncio.create_task(self._run()) for _ in range(self._writers)]
        return self._queue

    async def submit(self, prepared: Prepared) -> Outcome:
        """Store one prepared batch; returns once it is committed (raises if it was not)."""
        queue = self._start()
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        await queue.put((prepared, future, 1))
        return await future

    async def _run(self) -> None:
        """One writer: its own connection (plain psycopg, no ORM on this path)."""
        assert self._queue is not None
        queue = self._queue
        connection: psycopg.AsyncConnection[Any] | None = None
        try:
            while True:
                first = await queue.get()
                group = [first]
                events = first[0].size
                while (
                    not queue.empty()
                    and len(group) < self._max_batches
                    and events < self._max_events
                ):
                    item = queue.get_nowait()
                    group.append(item)
                    events += item[0].size
                # Rows are locked in one order (organization, visitor, session) by every
                # group, so concurrent groups queue behind each other instead of deadlocking.
                group.sort(key=_lock_order)
                batches = [prepared for prepared, _, _ in group]
                try:
                    if connection is None or connection.closed:
                        connection = await self._connect()
                    outcomes = await self._store(connection, batches)
                except psycopg.errors.DataError:
                    # A value in one batch made the server refuse the whole statement (a
                    # string jsonb cannot hold): each batch alone, so only that one is refused.
                    assert connection is not None
                    group, outcomes = await self._store_each(connection, group)
                except Exception as exc:  # the whole group failed: every request learns it
                    # Unavailable: 503, the tracker keeps the events and sends them again.
                    unavailable = fail_group(
                        (future for _, future, _ in group),
                        exc,
                        log=log,
                        event="collector",
                        batches=len(group),
                    )
                    if connection is not None and (connection.broken or unavailable):
                        await connection.close()
                        connection = None
                    continue
                for item in settle(group, outcomes):
                    queue.put_nowait(item)
        finally:
            if connection is not None:
                await connection.close()

    async def _store_each(
        self, connection: psycopg.AsyncConnection[Any], group: list[_Item]
    ) -> tuple[list[_Item], list[Outcome]]:
        """Store each batch of a refused group in a statement of its own. Returns the batches
        that got an outcome (a batch the server refuses again gets its data error, which
        `collector.finish` turns into rejected events); a request whose batch failed
        otherwise learns it at once."""
        stored: list[_Item] = []
        outcomes: list[Outcome] = []
        for item in group:
            outcome: Outcome
            try:
                (outcome,) = await self._store(connection, [item[0]])
            except psycopg.errors.DataError as exc:
                # In rastro_collect's own format for a failed batch.
                outcome = CollectRefused(error=f"internal: {exc.sqlstate} {exc}")
            except Exception as exc:
                log.exception("collector_batch_failed")
                if not item[1].done():
                    item[1].set_exception(exc)
                continue
            stored.append(item)
            outcomes.append(outcome)
        return stored, outcomes

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await autocommit_connection(self._conninfo)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._queue = None
