"""Every text, varchar and jsonb column of a database searched for given personal values
(an e-mail, a phone's digits, a name), as a superuser (no row-level security): where a
value is stored in the clear."""

from __future__ import annotations

import psycopg
from psycopg import sql

_COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type
FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
  AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY')
ORDER BY 1, 2
"""


def plaintext_hits(url: str, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for each column of `url` that holds one of `needles`
    (case-insensitive, anywhere in the value)."""
    hits = []
    with psycopg.connect(url, autocommit=True) as conn:
        for table, column, _type in conn.execute(_COLUMNS).fetchall():
            for needle in needles:
                found = conn.execute(
                    sql.SQL("SELECT 1 FROM {} WHERE {}::text ILIKE %s LIMIT 1").format(
                        sql.Identifier(table), sql.Identifier(column)
                    ),
                    (f"%{needle}%",),
                ).fetchone()
                if found:
                    hits.append((table, column, needle))
    return hits


def column_count(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return len(conn.execute(_COLUMNS).fetchall())
