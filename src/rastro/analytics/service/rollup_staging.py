"""The rollup refresh's helpers: staging rows in temporary tables (which PostgreSQL fills
with parallel workers) and timing the refresh's steps."""

from __future__ import annotations

from time import monotonic
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable, TableClause, column, table


class _CreateTempAs(Executable, ClauseElement):
    """`CREATE TEMPORARY TABLE name ON COMMIT DROP AS <select>`."""

    inherit_cache = False

    def __init__(self, name: str, query: Select[Any]) -> None:
        self.name = name
        self.query = query


@compiles(_CreateTempAs)
def _create_temp_as(element: _CreateTempAs, compiler: Any, **kw: Any) -> str:
    body = compiler.process(element.query, **kw)
    return f"CREATE TEMPORARY TABLE {element.name} ON COMMIT DROP AS {body}"


async def stage(bi: AsyncSession, name: str, query: Select[Any]) -> TableClause:
    """The rows of `query` in a new temporary table `name` (dropped at commit, or by the
    caller), as a table to select from."""
    await bi.execute(_CreateTempAs(name, query))
    return table(name, *(column(c.name) for c in query.selected_columns))


class Clock:
    """Seconds spent in each step of a refresh (when the caller asks for them)."""

    def __init__(self, steps: dict[str, float] | None) -> None:
        self.steps = steps
        self.last = monotonic()

    def lap(self, name: str) -> None:
        now = monotonic()
        if self.steps is not None:
            self.steps[name] = round(self.steps.get(name, 0.0) + now - self.last, 2)
        self.last = now
