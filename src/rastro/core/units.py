"""Where a unit of work commits, when it is not at the end of a request.

A request's unit of work commits once, when its route ends (`core/session.py`); a job's
when its `Database.transaction()` block ends. Where a hot path or a batch job must own
its transactions (the collector's group writer, lead capture's single database call, a
sync batch), it does so through one named boundary from here that the service receives —
never a `commit()` inside a service or an endpoint:

* `UnitOfWork` — one transaction on an ORM session: committed when its block ends
  without error, rolled back otherwise;
* `TransactionBoundary` — what a job or a hot path creates over one database and hands to
  a service that needs several units of work (one per sync batch, per push attempt, per
  cached read): the service opens each with `unit(scope)` and never commits itself;
* `AutocommitCall` — one call of a database function that does a whole unit of work, as
  one statement on a plain autocommit connection: the statement is the transaction,
  committed when the call returns. Its input and output are typed by the owning module's
  contracts (`tracking/contracts.py`, `crm/contracts.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, LiteralString, TypeVar

import orjson
import psycopg
from psycopg.types.json import set_json_loads
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from rastro.core.db import Database, Scope

Arguments = TypeVar("Arguments")
Result = TypeVar("Result")


class UnitOfWork:
    """One transaction on an ORM session, as `async with`: the block gets the session;
    the unit commits when the block ends without error and rolls back otherwise."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def __aenter__(self) -> AsyncSession:
        return self._session

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                await self._session.commit()
            else:
                await self._session.rollback()
        finally:
            await self._session.close()


@dataclass(frozen=True, slots=True)
class AutocommitCall(Generic[Arguments, Result]):
    """A database function that is a whole unit of work, called in one statement on an
    autocommit connection (committed when the call returns). `encode` turns the typed
    input into the statement's parameters and `decode` types the value it returns; a
    request's session may run the same `statement` inside its own transaction instead."""

    statement: LiteralString
    encode: Callable[[Arguments], Sequence[object]]
    decode: Callable[[Any], Result]

    async def on(self, connection: psycopg.AsyncConnection[Any], arguments: Arguments) -> Result:
        """Run on an autocommit connection the caller holds (the group writer's own)."""
        if not connection.autocommit:
            raise RuntimeError("an AutocommitCall runs on an autocommit connection only")
        cursor = await connection.execute(self.statement, self.encode(arguments))
        row = await cursor.fetchone()
        return self.decode(row[0] if row is not None else None)


class TransactionBoundary:
    """The transactions a job or a hot path owns on one database, handed to the service
    that runs them: `unit(scope)` is one ORM transaction (a sync batch, a push attempt, a
    cached read), `call(function, arguments)` one database function in its own
    autocommit statement (lead capture, the converting session's facts)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def unit(self, scope: Scope | None) -> UnitOfWork:
        """A unit of work under `scope`, committed when its `async with` block ends."""
        return UnitOfWork(self.database.session(scope))

    async def call(
        self, function: AutocommitCall[Arguments, Result], arguments: Arguments
    ) -> Result:
        """Call the function on a connection of the database's plain autocommit pool."""
        async with self.database.connection() as connection:
            return await function.on(connection, arguments)


async def autocommit_connection(conninfo: str) -> psycopg.AsyncConnection[Any]:
    """A dedicated plain connection for `AutocommitCall`s (the collector's group writers
    keep one each); JSON comes back decoded by orjson."""
    connection = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
    set_json_loads(orjson.loads, connection)
    return connection
