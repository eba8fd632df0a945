"""Where a report request's time goes: the SQL statements it runs (seconds per statement,
timed around the driver's execute, rows fetched included) and the CPU seconds of the
PostgreSQL server's processes and of this process."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from contextlib import suppress
from typing import Any

import psutil
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from rastro.core.db import Database, Scope

SPACES = re.compile(r"\s+")


def postgres_cpu(postmaster: int | None) -> float:
    """CPU seconds (user + system) of the PostgreSQL server's processes so far: the
    postmaster's live children (backends, parallel workers) and its ended ones."""
    if postmaster is None:
        return 0.0
    root = psutil.Process(postmaster)
    total = float(sum(root.cpu_times()[:4]))  # user, system, children_user, children_system
    for child in root.children(recursive=True):
        with suppress(psutil.NoSuchProcess):
            total += sum(child.cpu_times()[:2])
    return total


class StatementTimer:
    """Seconds per SQL statement (its first characters) on an engine, while `on`."""

    def __init__(self, engine: AsyncEngine, width: int = 160) -> None:
        self.slowest: tuple[str, Any] | None = None
        # The slowest few statements of the last `take` (statement, parameters), slowest first.
        self.ranked: list[tuple[str, Any]] = []
        self.width = width
        self.on = False
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.last: dict[str, tuple[str, Any]] = {}  # name → (statement, parameters)
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before)
        event.listen(sync, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        started = conn.info["bench_started"].pop()
        if self.on:
            name = SPACES.sub(" ", statement)[: self.width]
            self.seconds[name] += time.perf_counter() - started
            self.calls[name] += 1
            self.last[name] = (statement, parameters)

    def take(self, requests: int, top: int = 6) -> list[dict[str, Any]]:
        """The slowest statements since the last call, ms per request, and start over."""
        ranked = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:top]
        found = [
            {
                "ms_per_request": round(1000 * s / requests, 1),
                "calls_per_request": round(self.calls[name] / requests, 1),
                "statement": name,
            }
            for name, s in ranked
        ]
        self.slowest = self.last.get(ranked[0][0]) if ranked else None
        self.ranked = [self.last[name] for name, _ in ranked]
        self.seconds.clear()
        self.calls.clear()
        self.last.clear()
        return found


async def explain(database: Database, organization_id: Any, sql: str, parameters: Any) -> str:
    """`EXPLAIN (ANALYZE, BUFFERS)` of one statement as a request ran it (the same
    parameters, in the organization's scope)."""
    async with database.transaction(Scope.organization(organization_id)) as session:
        connection = await session.connection()
        rows = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", parameters)
        return "\n".join(row[0] for row in rows)
