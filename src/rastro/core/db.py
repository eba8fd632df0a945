"""Engines, sessions and the tenant scope for Rastro's two databases (CRM and BI).

Tenant isolation is enforced here, once, for every module:

* every ORM query that touches a tenant-owned model is filtered to the session's
  organization (`with_loader_criteria`); a session with no scope that touches a tenant
  model raises `TenantScopeMissing` (fail closed);
* new tenant rows get the session's organization, and a row for another organization
  cannot be flushed;
* the scope is also written into the transaction (`rastro.organization_id`,
  `rastro.scope`) where PostgreSQL row-level security policies read it: a raw SQL query
  that forgot the filter still sees only its organization's rows.

Hot paths that do their work in one database function (the collector, lead capture) call
it as a `core.units.AutocommitCall` on a plain psycopg connection in autocommit mode
(`Database.connection()`), no ORM; those functions set the row-level security scope
themselves.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
import psycopg
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import DateTime, MetaData, event, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from rastro.core.ids import uuid7
from rastro.core.units import UnitOfWork

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_TYPE_MAP: dict[Any, Any] = {datetime: DateTime(timezone=True), dict[str, Any]: JSONB}


class CrmBase(DeclarativeBase):
    """Tables of the CRM (OLTP) database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = _TYPE_MAP


class BiBase(DeclarativeBase):
    """Tables of the BI (OLAP) database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = _TYPE_MAP


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class TenantMixin:
    """A row owned by one organization. Queries on it are scoped automatically."""

    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)


class TenantRoot:
    """The organization row itself: scoped on its own `id` (which this mixin declares)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


class TenantScopeMissing(RuntimeError):
    """A tenant-owned table was touched by a session with no organization scope."""


class ScopeKind(enum.StrEnum):
    ORGANIZATION = "organization"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which rows a session may see: one organization's, or (system jobs, login) all."""

    kind: ScopeKind
    organization_id: uuid.UUID | None = None

    @classmethod
    def organization(cls, organization_id: uuid.UUID) -> Scope:
        return cls(ScopeKind.ORGANIZATION, organization_id)


SYSTEM = Scope(ScopeKind.SYSTEM)
_SCOPE_KEY = "rastro_scope"


def get_scope(session: Session | AsyncSession) -> Scope | None:
    scope: Scope | None = session.info.get(_SCOPE_KEY)
    return scope


_SCOPE_SQL = text(
    "SELECT set_config('rastro.scope', :kind, true), "
    "set_config('rastro.organization_id', :org, true)"
)


def _scope_params(scope: Scope | None) -> dict[str, str]:
    if scope is None:  # empty settings: the RLS policies match no tenant row
        return {"kind": "", "org": ""}
    return {"kind": scope.kind.value, "org": str(scope.organization_id or "")}


async def set_scope(session: AsyncSession, scope: Scope | None) -> None:
    """Change a session's scope, also inside an already open transaction."""
    if scope is None:
        session.info.pop(_SCOPE_KEY, None)
    else:
        session.info[_SCOPE_KEY] = scope
    if session.in_transaction():
        await session.execute(_SCOPE_SQL, _scope_params(scope))


@asynccontextmanager
async def scoped(session: AsyncSession, scope: Scope) -> AsyncIterator[AsyncSession]:
    """Run a block under another scope (e.g. SYSTEM to list a user's organizations), then
    restore the previous one. Every use is a deliberate crossing of tenant lines."""
    previous = get_scope(session)
    await set_scope(session, scope)
    try:
        yield session
    finally:
        await set_scope(session, previous)


def _is_tenant(cls: type) -> bool:
    return issubclass(cls, (TenantMixin, TenantRoot))


@event.listens_for(Session, "after_begin")
def _write_scope_into_transaction(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    scope = get_scope(session)
    if scope is None:
        return  # no setting: the RLS policies then match no tenant row
    connection.execute(_SCOPE_SQL, _scope_params(scope))


def _tenant_tables() -> frozenset[Any]:
    tables = set()
    for base in (CrmBase, BiBase):
        for mapper in base.registry.mappers:
            if _is_tenant(mapper.class_):
                tables.add(mapper.local_table)
    return frozenset(tables)


def _touches_tenant(state: ORMExecuteState) -> bool:
    if any(_is_tenant(mapper.class_) for mapper in state.all_mappers):
        return True
    # `select(func.count()).select_from(Model)` and subqueries name no mapper: look at tables.
    tenant_tables = _tenant_tables()
    statement = cast(ClauseElement, state.statement)
    tables = find_tables(statement, check_columns=True, include_joins=True)
    return any(table in tenant_tables for table in tables)


@event.listens_for(Session, "do_orm_execute")
def _scope_tenant_queries(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria of the parent query propagate to these loads
    scope = get_scope(state.session)
    if scope is None:
        if _touches_tenant(state):
            raise TenantScopeMissing("query on a tenant table without an organization scope")
        return
    if scope.kind is ScopeKind.SYSTEM:
        return
    org_id = scope.organization_id
    # Added to every statement: a no-op where no tenant entity appears, and it reaches
    # entities in select_from(), joins and subqueries too.
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantMixin, lambda cls: cls.organization_id == org_id, include_aliases=True
        ),
        with_loader_criteria(TenantRoot, lambda cls: cls.id == org_id, include_aliases=True),
    )


@event.listens_for(Session, "before_flush")
def _stamp_new_tenant_rows(session: Session, _context: object, _instances: object) -> None:
    scope = get_scope(session)
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantMixin):
            continue
        if scope is None:
            raise TenantScopeMissing(f"writing {type(obj).__name__} without an organization scope")
        if scope.kind is ScopeKind.SYSTEM:
            if obj.organization_id is None:
                raise TenantScopeMissing(f"{type(obj).__name__} needs an organization_id")
            continue
        if obj.organization_id is None:
            obj.organization_id = scope.organization_id
        elif obj.organization_id != scope.organization_id:
            raise TenantScopeMissing(
                f"{type(obj).__name__} belongs to another organization than the session's"
            )


async def insert_rows(
    session: AsyncSession,
    table: Any,
    rows: list[dict[str, Any]],
    *,
    on_conflict_do_nothing: tuple[str, ...] = (),
) -> None:
    """Insert `rows` (dicts with the same column names; no Python-side defaults are
    applied) in one statement with one JSON parameter, expanded by
    `jsonb_populate_recordset`: the statement and its plan are the same whatever the
    number of rows, and PostgreSQL inserts them in one pass instead of one execution per
    row. `on_conflict_do_nothing` names the unique columns whose duplicates are skipped."""
    if not rows:
        return
    name = table.name
    unknown = (set(rows[0]) | set(on_conflict_do_nothing)) - set(table.c.keys())
    if unknown:  # the names go into the SQL text: only the table's own columns
        raise ValueError(f"{name} has no columns {sorted(unknown)}")
    columns = ", ".join(f'"{column}"' for column in rows[0])
    conflict = ""
    if on_conflict_do_nothing:
        keys = ", ".join(f'"{column}"' for column in on_conflict_do_nothing)
        conflict = f" ON CONFLICT ({keys}) DO NOTHING"
    await session.execute(
        text(
            f'INSERT INTO "{name}" ({columns}) SELECT {columns} '  # noqa: S608 (checked names)
            f'FROM jsonb_populate_recordset(NULL::"{name}", CAST(:rows AS jsonb)){conflict}'
        ),
        {"rows": _json_dumps(rows)},
    )


# --- engines ---------------------------------------------------------------------------


def sqlalchemy_url(url: str) -> str:
    """`postgresql://…` → `postgresql+psycopg://…` (psycopg 3 for sync and async)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The plain libpq form of a database URL (for psycopg and procrastinate)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


PLAIN_POOL_WAIT_SECONDS = 10.0


async def _configure_plain(connection: psycopg.AsyncConnection[Any]) -> None:
    set_json_loads(orjson.loads, connection)


class Database:
    """One PostgreSQL database: an async engine and its session factory."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        pool_size: int = 10,
        plain_pool_size: int = 4,
        pre_ping: bool = False,
    ) -> None:
        """`pre_ping` checks a pooled connection before handing it out (one round trip): for
        the job worker, whose pools may sit idle through a database restart and would
        otherwise fail the next job on a dead connection. The server does without it: the
        first request to meet a dead connection gets a 503 and the pool starts afresh."""
        self.name = name
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            sqlalchemy_url(url),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_recycle=1800,
            pool_pre_ping=pre_ping,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            # A failed statement's message (logged, stored as a job's or message's error)
            # never carries its values: they can be personal data.
            hide_parameters=True,
        )
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._plain_pool_size = plain_pool_size
        self._pre_ping = pre_ping
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] | None = None
        self._pool_opened: asyncio.Future[None] | None = None

    def session(self, scope: Scope | None = None) -> AsyncSession:
        session = self._sessions()
        if scope is not None:
            session.info[_SCOPE_KEY] = scope
        return session

    def transaction(self, scope: Scope | None) -> UnitOfWork:
        """A job's (or the CLI's) unit of work: a session that commits when the `async
        with` block ends without error."""
        return UnitOfWork(self.session(scope))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A plain psycopg connection in autocommit mode (each statement its own
        transaction) from a small pool of its own, for hot paths that make one round trip
        to a database function. JSON comes back decoded by orjson."""
        pool, opened = self._pool, self._pool_opened
        if pool is None or opened is None:
            pool = AsyncConnectionPool(
                libpq_url(self.url),
                min_size=1,
                # One short round trip per use: a few connections serve many requests, and
                # more statements at once than the cores can run only add contention.
                max_size=self._plain_pool_size,
                max_idle=60,
                # While the database is away a request waits at most this long for a
                # connection (then PoolTimeout: a 503). A lost connection is retried for
                # this long, then a later request opens a new one: by default the pool
                # retries for 5 minutes with waits doubling past a minute, so it could
                # stay empty long after the database is back.
                timeout=PLAIN_POOL_WAIT_SECONDS,
                reconnect_timeout=PLAIN_POOL_WAIT_SECONDS,
                kwargs={"autocommit": True},
                configure=_configure_plain,
                check=AsyncConnectionPool.check_connection if self._pre_ping else None,
                open=False,
            )
            # Requests arriving while it opens wait for the same opening.
            opened = asyncio.ensure_future(pool.open())
            self._pool, self._pool_opened = pool, opened
        await opened
        async with pool.connection() as connection:
            yield connection

    async def dispose(self) -> None:
        if self._pool is not None:
            pool, self._pool, self._pool_opened = self._pool, None, None
            await pool.close()
        await self.engine.dispose()


@dataclass
class Databases:
    crm: Database
    bi: Database

    async def dispose(self) -> None:
        await self.crm.dispose()
        await self.bi.dispose()


# --- migrations helpers ------------------------------------------------------------------

# The settings are read in scalar subqueries: PostgreSQL evaluates them once per query (an
# InitPlan) instead of calling current_setting() twice per row, which made a count over
# 100,000 rows seven times slower than the same count without row-level security.
RLS_PREDICATE = (
    "(SELECT current_setting('rastro.scope', true)) = 'system' "
    "OR {column} = (SELECT nullif(current_setting('rastro.organization_id', true), '')::uuid)"
)


def tenant_rls_sql(table: str, column: str = "organization_id") -> list[str]:
    """Statements that put a tenant table behind row-level security (for migrations).

    `FORCE` makes the policy apply to the table owner too, which is the role Rastro
    connects as; only superusers and BYPASSRLS roles escape it.
    """
    predicate = RLS_PREDICATE.format(column=column)
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) WITH CHECK ({predicate})",
    ]
