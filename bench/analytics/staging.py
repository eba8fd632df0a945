"""The BI event tables loaded without index upkeep: each month's partition is filled while
it hangs under an index-less staging parent, then moved under the real table, where
PostgreSQL builds its indexes in one pass (`ATTACH PARTITION`), and put behind the same
row-level security as `tracking.partitions.create_statements` gives it.

Four to eight indexes per table kept up to date row by row made the inserts about eight
times slower than building the indexes afterwards (page views: 36 s against 4 s plus the
index builds for 1 M rows on this machine). The sessions table, not partitioned, has its
secondary indexes dropped and created again around its load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import psycopg

from rastro.tracking import partitions


def stage_name(parent: str) -> str:
    """The index-less staging parent of an event table (where the generator inserts)."""
    return f"bench_stage_{parent}"


def _months(start: datetime, now: datetime) -> list[date]:
    """The months from `start`'s to the one after `now`'s (as the partition job creates)."""
    month, last, months = start.date().replace(day=1), partitions.add_months(now.date(), 1), []
    while month <= last:
        months.append(month)
        month = partitions.add_months(month, 1)
    return months


def _bounds(month: date) -> str:
    return f"FOR VALUES FROM ('{month.isoformat()}') TO ('{partitions.add_months(month, 1)}')"


def stage(conn: psycopg.Connection[Any], start: datetime, now: datetime) -> None:
    """Empty monthly partitions under staging parents; a month's existing partition (the
    migration creates the first ones) is dropped first, and must be empty."""
    for parent in partitions.PARTITIONED_TABLES:
        staging = stage_name(parent)
        conn.execute(f"DROP TABLE IF EXISTS {staging}".encode())
        conn.execute(
            f"CREATE TABLE {staging} (LIKE {parent} INCLUDING DEFAULTS) "
            "PARTITION BY RANGE (created_at)".encode()
        )
        for month in _months(start, now):
            name = partitions.partition_name(parent, month)
            found = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
            if found and found[0]:
                has_rows = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {name})".encode())
                row = has_rows.fetchone()
                if row and row[0]:
                    raise RuntimeError(f"{name} holds rows: generate into empty event tables")
                conn.execute(f"DROP TABLE {name}".encode())
            conn.execute(f"CREATE TABLE {name} PARTITION OF {staging} {_bounds(month)}".encode())


def attach(conn: psycopg.Connection[Any], start: datetime, now: datetime) -> None:
    """Move the filled partitions under their tables (building the indexes) with the
    tables' row-level security, and drop the staging parents."""
    for parent in partitions.PARTITIONED_TABLES:
        staging = stage_name(parent)
        for month in _months(start, now):
            name = partitions.partition_name(parent, month)
            conn.execute(f"ALTER TABLE {staging} DETACH PARTITION {name}".encode())
            conn.execute(f"ALTER TABLE {parent} ATTACH PARTITION {name} {_bounds(month)}".encode())
            # create_statements' first statement creates the partition; the rest secure it.
            for statement in partitions.create_statements(parent, month)[1:]:
                conn.execute(statement.encode())
        conn.execute(f"DROP TABLE {staging}".encode())


@contextmanager
def indexes_rebuilt(conn: psycopg.Connection[Any], table: str) -> Iterator[None]:
    """Drop `table`'s indexes other than its primary key, and create them again (from
    their stored definitions) once the block has loaded it."""
    rows = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
        (table,),
    ).fetchall()
    for name, _definition in rows:
        conn.execute(f"DROP INDEX {name}".encode())
    yield
    for _name, definition in rows:
        conn.execute(definition.encode())
