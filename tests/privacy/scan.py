"""Search every text, JSON, address and array column of a database for values (the
"nothing findable" check after an erasure)."""

from __future__ import annotations

import psycopg
from psycopg import sql

_TYPES = ("text", "character varying", "character", "jsonb", "json", "inet", "ARRAY")


def find_anywhere(url: str, values: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) for every column of `url`'s database holding any of `values`
    (case-insensitive substring), across every organization."""
    hits = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT set_config('rastro.scope', 'system', false)")
        columns = conn.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
            "AND c.data_type = ANY(%s)",
            (list(_TYPES),),
        ).fetchall()
        for table, column in columns:
            for value in values:
                query = sql.SQL("SELECT 1 FROM {} WHERE {}::text ILIKE %s LIMIT 1").format(
                    sql.Identifier(table), sql.Identifier(column)
                )
                if conn.execute(query, (f"%{value}%",)).fetchone():
                    hits.append((table, column, value))
    return hits
