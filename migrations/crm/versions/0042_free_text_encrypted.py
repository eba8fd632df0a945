"""crm: the rest of the personal data encrypted at rest — leads' and contacts' metadata,
timeline entries' summary and data, deals' names, notes, tasks, stage-change reasons,
recovery's typed contacts and data-subject requests' identifiers and exports

The rows already stored are sealed in batches under the process's key ring
(`rastro.core.personal`, configured by `rastro db upgrade`), then the plaintext columns
are dropped. Beside them, blind indexes where a lookup needs one: a lead's form key
(duplicate submissions), a recovery contact's e-mail and phone and a data-subject
request's (finding the person). Lead capture's function writes the sealed metadata and
timeline entry (v3). Downgrading decrypts them back.

Revision ID: 0042
Revises: 0043
Create Date: 2026-12-07
"""

# ruff: noqa: S608 - the statements name tables and columns from the constants below only

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.personal import blind_index, seal, seal_json, unseal, unseal_json

revision: str = "0042"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"
BATCH = 1000
_JSONB = postgresql.JSONB(astext_type=sa.Text())


class Field:
    """A plaintext column sealed into `<name>_encrypted` (context `<table>.<name>`)."""

    def __init__(
        self, name: str, plain: sa.types.TypeEngine[Any], *, json: bool = False, null: bool
    ) -> None:
        self.name, self.plain, self.json, self.null = name, plain, json, null


def _contact_indexes(row: dict[str, Any]) -> dict[str, Any]:
    contact = row["contact"] or {}
    return {
        "contact_email_index": blind_index("email", contact.get("email")),
        "contact_phone_index": blind_index("phone", contact.get("phone")),
    }


def _lead_extras(row: dict[str, Any]) -> dict[str, Any]:
    metadata = row["metadata"] or {}
    return {
        "form_index": blind_index("form", metadata.get("form_key")),
        "form_fields_kept": "form" in metadata,
    }


def _request_indexes(row: dict[str, Any]) -> dict[str, Any]:
    subject = (row["export_data"] or {}).get("subject") or {}
    email = row["subject_email"] or subject.get("email")
    phone = row["subject_phone"] or subject.get("phone")
    return {
        "subject_email_index": blind_index("email", email),
        "subject_phone_index": blind_index("phone", phone),
    }


_INDEX = sa.String(length=32)
_FORM_FIELDS_KEPT = sa.Boolean()  # a marker: NOT NULL, false by default
# table: (primary key, fields, extra columns (name, type), their values from the plain row)
TABLES: dict[
    str,
    tuple[
        str,
        list[Field],
        list[tuple[str, sa.types.TypeEngine[Any]]],
        Callable[[dict[str, Any]], dict[str, Any]] | None,
    ],
] = {
    "contacts": ("contact_id", [Field("metadata", _JSONB, json=True, null=False)], [], None),
    "leads": (
        "lead_id",
        [Field("metadata", _JSONB, json=True, null=False)],
        [("form_index", _INDEX), ("form_fields_kept", _FORM_FIELDS_KEPT)],
        _lead_extras,
    ),
    "lead_stages": ("stage_id", [Field("reason", sa.Text(), null=True)], [], None),
    "deals": ("deal_id", [Field("name", sa.String(length=255), null=False)], [], None),
    "tasks": (
        "task_id",
        [
            Field("title", sa.String(length=255), null=False),
            Field("description", sa.Text(), null=True),
        ],
        [],
        None,
    ),
    "notes": ("note_id", [Field("body", sa.Text(), null=False)], [], None),
    "activities": (
        "activity_id",
        [
            Field("summary", sa.String(length=500), null=False),
            Field("data", _JSONB, json=True, null=False),
        ],
        [],
        None,
    ),
    "recovery_checkout_starts": (
        "id",
        [Field("contact", _JSONB, json=True, null=False)],
        [("contact_email_index", _INDEX), ("contact_phone_index", _INDEX)],
        _contact_indexes,
    ),
    "recovery_cases": (
        "id",
        [Field("contact", _JSONB, json=True, null=False)],
        [("contact_email_index", _INDEX), ("contact_phone_index", _INDEX)],
        _contact_indexes,
    ),
    "privacy_subject_requests": (
        "request_id",
        [
            Field("subject_email", sa.String(length=320), null=True),
            Field("subject_phone", sa.String(length=20), null=True),
            Field("export_data", _JSONB, json=True, null=True),
        ],
        [("subject_email_index", _INDEX), ("subject_phone_index", _INDEX)],
        _request_indexes,
    ),
}


def _system() -> None:
    op.execute("SELECT set_config('rastro.scope', 'system', true)")


def _batches(table: str, key: str, columns: list[str]) -> Iterator[list[dict[str, Any]]]:
    """The rows of `table` (primary key as `pk`, and `columns`) in batches, by key."""
    bind = op.get_bind()
    last = None
    while True:
        where = f"WHERE {key} > :last" if last is not None else ""
        rows = bind.execute(
            sa.text(
                f"SELECT {key} AS pk, {', '.join(columns)} FROM {table} {where} "
                f"ORDER BY {key} LIMIT {BATCH}"
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        yield [dict(row._mapping) for row in rows]
        last = rows[-1][0]


def _sealed(table: str, field: Field, value: Any) -> str | None:
    context = f"{table}.{field.name}"
    if value is None:
        return None
    return seal_json(value, context=context) if field.json else seal(value, context=context)


def _opened(table: str, field: Field, stored: str | None) -> Any:
    context = f"{table}.{field.name}"
    if stored is None:
        return None
    if field.json:
        return orjson.dumps(unseal_json(stored, context=context)).decode()
    return unseal(stored, context=context)


def upgrade() -> None:
    _system()
    for table, (key, fields, extras, extra_values) in TABLES.items():
        for field in fields:
            op.add_column(table, sa.Column(f"{field.name}_encrypted", sa.Text(), nullable=True))
        for name, type_ in extras:
            flag = type_ is _FORM_FIELDS_KEPT
            op.add_column(
                table,
                sa.Column(
                    name, type_, nullable=not flag, server_default="false" if flag else None
                ),
            )
        assignments = [f"{field.name}_encrypted = :{field.name}" for field in fields]
        assignments += [f"{name} = :{name}" for name, _type in extras]
        update = sa.text(f"UPDATE {table} SET {', '.join(assignments)} WHERE {key} = :pk")
        for rows in _batches(table, key, [field.name for field in fields]):
            op.get_bind().execute(
                update,
                [
                    {
                        "pk": row["pk"],
                        **{field.name: _sealed(table, field, row[field.name]) for field in fields},
                        **(extra_values(row) if extra_values else {}),
                    }
                    for row in rows
                ],
            )
        for field in fields:
            # A document left out by an INSERT stays NULL and reads as `{}` (rastro.core
            # .personal.encrypted_document): only the texts are NOT NULL.
            if not field.null and not field.json:
                op.alter_column(table, f"{field.name}_encrypted", nullable=False)
            op.drop_column(table, field.name)
    op.execute((SQL / "rastro_capture_lead_v3.sql").read_text())


def downgrade() -> None:
    _system()
    op.execute((SQL / "rastro_capture_lead_v2.sql").read_text())
    for table, (key, fields, extras, _values) in TABLES.items():
        for field in fields:
            op.add_column(table, sa.Column(field.name, field.plain, nullable=True))
        assignments = ", ".join(
            f"{field.name} = CAST(:{field.name} AS jsonb)"
            if field.json
            else f"{field.name} = :{field.name}"
            for field in fields
        )
        update = sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :pk")
        for rows in _batches(table, key, [f"{field.name}_encrypted" for field in fields]):
            op.get_bind().execute(
                update,
                [
                    {
                        "pk": row["pk"],
                        **{
                            field.name: _opened(table, field, row[f"{field.name}_encrypted"])
                            for field in fields
                        },
                    }
                    for row in rows
                ],
            )
        for field in fields:
            if field.json and not field.null:
                op.execute(f"UPDATE {table} SET {field.name} = '{{}}' WHERE {field.name} IS NULL")
                op.alter_column(table, field.name, server_default=sa.text("'{}'::jsonb"))
            if not field.null:
                op.alter_column(table, field.name, nullable=False)
            op.drop_column(table, f"{field.name}_encrypted")
        for name, _type in extras:
            op.drop_column(table, name)
