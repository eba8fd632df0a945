"""The rollup refresh's helpers: staging rows in tables of their own (temporary ones,
which PostgreSQL fills with parallel workers, or unlogged ones that other connections
read), running staging jobs on side connections at once, and timing the refresh's steps.

A full refresh with side connections (`rollup_refresh.refresh(side=…)`) stages each
rollup's levels on its own connection and transaction into unlogged tables named
`rollup_stage_<organization>_<name>`; the refresh's own transaction moves them into place
and drops them. Tables a failed refresh left behind are dropped by the organization's next
refresh (`drop_leftovers`), which holds the same lock.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from time import monotonic
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import (
    ClauseElement,
    ColumnElement,
    Executable,
    TableClause,
    column,
    literal_column,
    table,
)

from rastro.analytics.service.rollup_shapes import REFRESH_WORK_MEM
from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary

STAGE_PREFIX = "rollup_stage_"


class _CreateTableAs(Executable, ClauseElement):
    """`CREATE TEMPORARY TABLE name ON COMMIT DROP AS <select>`, or with `unlogged`
    `CREATE UNLOGGED TABLE name AS <select>` (seen by other connections once committed)."""

    inherit_cache = False

    def __init__(self, name: str, query: Select[Any], *, unlogged: bool) -> None:
        self.name = name
        self.query = query
        self.unlogged = unlogged


@compiles(_CreateTableAs)
def _create_table_as(element: _CreateTableAs, compiler: Any, **kw: Any) -> str:
    body = compiler.process(element.query, **kw)
    if element.unlogged:
        return f"CREATE UNLOGGED TABLE {element.name} AS {body}"
    return f"CREATE TEMPORARY TABLE {element.name} ON COMMIT DROP AS {body}"


async def stage(
    bi: AsyncSession, name: str, query: Select[Any], *, unlogged: bool = False
) -> TableClause:
    """The rows of `query` in a new table `name`, as a table to select from: temporary
    (dropped at commit, or by the caller), or `unlogged` (dropped by the caller)."""
    await bi.execute(_CreateTableAs(name, query, unlogged=unlogged))
    return table(name, *(column(c.name) for c in query.selected_columns))


def stage_prefix(organization_id: uuid.UUID) -> str:
    """The start of the names of an organization's staged tables (at most 47 characters:
    PostgreSQL keeps 63)."""
    return f"{STAGE_PREFIX}{organization_id.hex}_"


async def drop_tables(bi: AsyncSession, tables: Sequence[TableClause | str]) -> None:
    for staged in tables:
        name = staged if isinstance(staged, str) else staged.name
        await bi.execute(text(f"DROP TABLE IF EXISTS {name}"))


async def drop_leftovers(bi: AsyncSession, organization_id: uuid.UUID) -> int:
    """Drop the staged tables an earlier refresh of the organization left behind (it failed
    after staging); how many. The caller holds the organization's refresh lock."""
    prefix = stage_prefix(organization_id)
    name: ColumnElement[str] = literal_column("tablename")
    found = await bi.scalars(
        select(name)
        .select_from(text("pg_tables"))
        .where(
            literal_column("schemaname") == func.current_schema(),
            func.left(name, len(prefix)) == prefix,
        )
    )
    names = list(found)
    await drop_tables(bi, names)
    return len(names)


StagingJob = Callable[[AsyncSession], Awaitable[list[TableClause]]]


@dataclass(frozen=True)
class SideJob:
    """A unit of a refresh's work for a side connection: `run` stages tables (returns
    them) or writes its own; with `waits`, it starts after the job named in
    `run_on_side`'s `first` has committed."""

    name: str
    run: StagingJob
    waits: bool = True


async def run_on_side(
    side: TransactionBoundary,
    scope: Scope,
    jobs: Sequence[SideJob],
    *,
    first: str | None = None,
    connections: int,
    steps: dict[str, float] | None = None,
) -> dict[str, list[TableClause]]:
    """Run each job in a transaction of its own (committed when it ends), on up to
    `connections` connections at once, each connection taking the next job in the order
    given that may start (longest first keeps the ends even); the tables each job staged,
    by name. On an error the other jobs are cancelled, the tables already staged are
    dropped and the first error is raised."""
    pending = list(jobs)
    staged: dict[str, list[TableClause]] = {}
    ready = asyncio.Event()
    if first is None:
        ready.set()

    async def work() -> None:
        while pending:
            job = next((j for j in pending if ready.is_set() or not j.waits), None)
            if job is None:
                await ready.wait()
                continue
            pending.remove(job)
            started = monotonic()
            async with side.unit(scope) as session:
                await session.execute(text(f"SET LOCAL work_mem = '{REFRESH_WORK_MEM}'"))
                staged[job.name] = await job.run(session)
            if job.name == first:
                ready.set()
            if steps is not None:
                steps[f"{job.name} (side)"] = round(monotonic() - started, 2)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, min(connections, len(pending)))):
                group.create_task(work())
    except BaseExceptionGroup as errors:
        async with side.unit(scope) as session:
            await drop_tables(session, [t for tables in staged.values() for t in tables])
        raise errors.exceptions[0] from errors
    return staged


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
