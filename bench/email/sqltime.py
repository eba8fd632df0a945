"""Where a benchmark's database time goes: total seconds and calls per statement (its
first 160 characters), from SQLAlchemy's cursor events on the given engines."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class StatementTimes:
    def __init__(self, *engines: AsyncEngine) -> None:
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        for engine in engines:
            event.listen(engine.sync_engine, "before_cursor_execute", self._before)
            event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, _statement: str, *_: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        took = time.perf_counter() - conn.info["bench_started"].pop()
        entry = self.totals[" ".join(statement.split())[:160]]
        entry[0] += took
        entry[1] += 1

    def top(self, n: int = 8) -> list[dict[str, Any]]:
        ranked = sorted(self.totals.items(), key=lambda item: -item[1][0])[:n]
        self.totals.clear()
        return [{"sql": sql, "seconds": round(s, 2), "calls": c} for sql, (s, c) in ranked]
