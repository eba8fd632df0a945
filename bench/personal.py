"""Generated people's personal fields stored as the app stores them (`rastro.crm.sealed`):
encrypted under the process's key ring, with their blind indexes and search tokens.

The generators insert contacts and leads in SQL without those fields, then hand the
people here: one SELECT of (contact_id, lead_id, email, phone, name, company) — lead_id
may be NULL — sealed in Python, copied into a temporary table and applied in three
statements. The process must use the keys of the app that reads the data (see
`rastro.runtime.configure_personal_data`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import psycopg

from rastro.core.personal import blind_index, seal
from rastro.crm import sealed

_TEMP = """
CREATE TEMP TABLE sealed_people (contact_id uuid, lead_id uuid, organization_id uuid,
    c_email text, c_phone text, c_name text, c_company text,
    l_email text, l_phone text, l_name text, l_company text,
    email_index text, phone_index text, terms text[])
"""
_APPLY = (
    """UPDATE contacts c SET email_encrypted = s.c_email, phone_encrypted = s.c_phone,
       name_encrypted = s.c_name, company_encrypted = s.c_company,
       email_index = s.email_index, phone_index = s.phone_index
       FROM sealed_people s WHERE c.contact_id = s.contact_id""",
    """UPDATE leads l SET email_encrypted = s.l_email, phone_encrypted = s.l_phone,
       name_encrypted = s.l_name, company_encrypted = s.l_company,
       email_index = s.email_index, phone_index = s.phone_index
       FROM sealed_people s WHERE l.lead_id = s.lead_id""",
    """INSERT INTO crm_search_terms (record_id, term, organization_id)
       SELECT DISTINCT r.id, t, s.organization_id FROM sealed_people s
       CROSS JOIN LATERAL (VALUES (s.contact_id), (s.lead_id)) AS r(id)
       CROSS JOIN LATERAL unnest(s.terms) AS t
       WHERE r.id IS NOT NULL
       ON CONFLICT DO NOTHING""",
    "DROP TABLE sealed_people",
)
FIELDS = ("email", "phone", "name", "company")


def seal_people(
    conn: psycopg.Connection[Any], organization_id: Any, people: str, params: Any = None
) -> None:
    """Seal the people `people` (a SELECT of contact_id, lead_id, email, phone, name,
    company) into their contacts and leads rows."""
    conn.execute(_TEMP.encode())
    rows = conn.execute(people.encode(), params).fetchall()
    with conn.cursor().copy(b"COPY sealed_people FROM STDIN") as copy:
        for contact_id, lead_id, *plain in rows:
            values = dict(zip(FIELDS, plain, strict=True))
            indexes = sealed.index_values(values["email"], values["phone"])
            copy.write_row(
                (
                    contact_id,
                    lead_id,
                    organization_id,
                    *(sealed.sealed("contacts", f, values[f]) for f in FIELDS),
                    *(sealed.sealed("leads", f, values[f]) for f in FIELDS),
                    indexes["email_index"],
                    indexes["phone_index"],
                    sealed.terms(values),
                )
            )
    for statement in _APPLY:
        conn.execute(statement.encode())


def seal_in_place(
    conn: psycopg.Connection[Any],
    table: str,
    key: str,
    column: str,
    *,
    extra: tuple[str, Callable[[str], str | None]] | None = None,
) -> int:
    """Seal the clear text a generator wrote into `<column>_encrypted` (call it once,
    right after the generator's INSERT; a JSON document written as its text opens as
    the app's documents do); with `extra`
    (name, function of the clear text), that column is set too (e.g. a blind index).
    Returns the rows sealed."""
    context = f"{table}.{column}"
    extra_name, extra_of = extra if extra else (None, None)
    conn.execute(b"CREATE TEMP TABLE sealed_values (pk uuid, value text, extra text)")
    rows = conn.execute(
        f"SELECT {key}, {column}_encrypted FROM {table} "
        f"WHERE {column}_encrypted IS NOT NULL".encode()
    ).fetchall()
    with conn.cursor().copy(b"COPY sealed_values FROM STDIN") as copy:
        for pk, plain in rows:
            copy.write_row(
                (pk, seal(plain, context=context), extra_of(plain) if extra_of else None)
            )
    extra_set = f", {extra_name} = s.extra" if extra_name else ""
    conn.execute(
        f"UPDATE {table} t SET {column}_encrypted = s.value{extra_set} "
        f"FROM sealed_values s WHERE t.{key} = s.pk".encode()
    )
    conn.execute(b"DROP TABLE sealed_values")
    return len(rows)


def form_index_of(metadata: str) -> str | None:
    """The blind index of a lead's form key, from its metadata's text."""
    return blind_index("form", orjson.loads(metadata).get("form_key"))
