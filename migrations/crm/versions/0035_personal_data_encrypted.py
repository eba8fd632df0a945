"""crm: contacts' and leads' e-mail, phone, name, company (and a lead's message) encrypted
at rest with blind indexes; search words as blind tokens written by the code; lead
capture's function on the indexes

The rows already stored are encrypted in batches under the process's key ring
(`rastro.core.personal`, configured by `rastro db upgrade`), then the plaintext columns
are dropped. Downgrading decrypts them back.

Revision ID: 0035
Revises: 0036
Create Date: 2026-12-06
"""

# ruff: noqa: S608 - the statements name tables and columns from the constants below only

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.personal import blind_index, seal, seal_json, unseal, unseal_json
from rastro.crm import sealed

revision: str = "0035"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"
BATCH = 1000
# JSON documents sealed whole: (table, primary key, column).
DOCUMENTS = [
    ("payments", "id", "customer_data"),
    ("integrations_log", "log_id", "request_data"),
    ("integrations_log", "log_id", "response_data"),
    ("crm_webhook_deliveries", "delivery_id", "payload"),
]
TABLES = {
    "contacts": ("contact_id", sealed.CONTACT_FIELDS),
    "leads": ("lead_id", sealed.LEAD_FIELDS),
}


def _system() -> None:
    op.execute("SELECT set_config('rastro.scope', 'system', true)")


def _batches(table: str, key: str, columns: list[str]) -> Any:
    """The rows of `table` in batches of BATCH, by primary key."""
    bind = op.get_bind()
    last = None
    while True:
        where = f"WHERE {key} > :last" if last is not None else ""
        rows = bind.execute(
            sa.text(
                f"SELECT {key}, organization_id, {', '.join(columns)} FROM {table} {where} "
                f"ORDER BY {key} LIMIT {BATCH}"
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _write_terms(rows: list[dict[str, Any]]) -> None:
    terms = [
        {"record_id": row["id"], "term": token, "organization_id": row["organization_id"]}
        for row in rows
        for token in sealed.terms(row)
    ]
    if terms:
        op.get_bind().execute(
            sa.text(
                "INSERT INTO crm_search_terms (record_id, term, organization_id) "
                "VALUES (:record_id, :term, :organization_id)"
            ),
            terms,
        )


def upgrade() -> None:
    _system()
    for table in TABLES:
        op.execute(f"DROP TRIGGER crm_search_terms_write ON {table}")
    op.execute("DELETE FROM crm_search_terms")
    op.drop_index("uq_contacts_organization_id_email", table_name="contacts")
    op.drop_index("ix_contacts_organization_id_phone", table_name="contacts")
    op.drop_index("ix_leads_organization_id_email_created_at", table_name="leads")
    for table, (key, fields) in TABLES.items():
        for field in fields:
            op.add_column(table, sa.Column(f"{field}_encrypted", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("email_index", sa.String(length=32), nullable=True))
        op.add_column(table, sa.Column("phone_index", sa.String(length=32), nullable=True))
        assignments = ", ".join(f"{field}_encrypted = :{field}" for field in fields)
        update = sa.text(
            f"UPDATE {table} SET {assignments}, email_index = :email_index, "
            f"phone_index = :phone_index WHERE {key} = :id"
        )
        for rows in _batches(table, key, list(fields)):
            plain = [
                {"id": row[0], "organization_id": row[1], **dict(zip(fields, row[2:], strict=True))}
                for row in rows
            ]
            op.get_bind().execute(
                update,
                [
                    {
                        "id": row["id"],
                        **{
                            field: None
                            if row[field] is None
                            else seal(row[field], context=f"{table}.{field}")
                            for field in fields
                        },
                        **sealed.index_values(row["email"], row["phone"]),
                    }
                    for row in plain
                ],
            )
            _write_terms(plain)
        for field in fields:
            op.drop_column(table, field)
    op.create_index(
        "uq_contacts_organization_id_email_index",
        "contacts",
        ["organization_id", "email_index"],
        unique=True,
        postgresql_where=sa.text("email_index IS NOT NULL"),
    )
    op.create_index(
        "ix_contacts_organization_id_phone_index", "contacts", ["organization_id", "phone_index"]
    )
    op.create_index(
        "ix_leads_organization_id_email_index_created_at",
        "leads",
        ["organization_id", "email_index", "created_at"],
    )
    op.execute((SQL / "rastro_capture_lead_v2.sql").read_text())
    op.add_column("payments", sa.Column("customer_email_index", sa.String(32), nullable=True))
    op.add_column("payments", sa.Column("customer_phone_index", sa.String(32), nullable=True))
    for table, key, column in DOCUMENTS:
        _seal_documents(table, key, column)


def _seal_documents(table: str, key: str, column: str) -> None:
    op.add_column(table, sa.Column(f"{column}_encrypted", sa.Text(), nullable=True))
    payments = table == "payments"
    indexes = ", customer_email_index = :e, customer_phone_index = :p" if payments else ""
    update = sa.text(f"UPDATE {table} SET {column}_encrypted = :v{indexes} WHERE {key} = :id")
    for rows in _batches(table, key, [column]):
        values = []
        for row in rows:
            document = row[2] or {}
            values.append(
                {
                    "id": row[0],
                    "v": seal_json(document, context=f"{table}.{column}"),
                    "e": blind_index("email", document.get("email")) if payments else None,
                    "p": blind_index("phone", document.get("phone")) if payments else None,
                }
            )
        op.get_bind().execute(update, values)
    op.alter_column(table, f"{column}_encrypted", nullable=False)
    op.drop_column(table, column)


def _open_documents(table: str, key: str, column: str) -> None:
    op.add_column(
        table,
        sa.Column(
            column,
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    update = sa.text(f"UPDATE {table} SET {column} = CAST(:v AS jsonb) WHERE {key} = :id")
    for rows in _batches(table, key, [f"{column}_encrypted"]):
        op.get_bind().execute(
            update,
            [
                {
                    "id": row[0],
                    "v": orjson.dumps(unseal_json(row[2], context=f"{table}.{column}")).decode(),
                }
                for row in rows
            ],
        )
    op.drop_column(table, f"{column}_encrypted")


_TYPES = {
    "email": sa.String(length=320),
    "phone": sa.String(length=20),
    "name": sa.String(length=255),
    "company": sa.String(length=255),
    "message": sa.Text(),
}


def downgrade() -> None:
    _system()
    for table, key, column in DOCUMENTS:
        _open_documents(table, key, column)
    op.drop_column("payments", "customer_phone_index")
    op.drop_column("payments", "customer_email_index")
    op.drop_index("ix_leads_organization_id_email_index_created_at", table_name="leads")
    op.drop_index("ix_contacts_organization_id_phone_index", table_name="contacts")
    op.drop_index("uq_contacts_organization_id_email_index", table_name="contacts")
    for table, (key, fields) in TABLES.items():
        for field in fields:
            op.add_column(table, sa.Column(field, _TYPES[field], nullable=True))
        assignments = ", ".join(f"{field} = :{field}" for field in fields)
        update = sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :id")
        for rows in _batches(table, key, [f"{field}_encrypted" for field in fields]):
            op.get_bind().execute(
                update,
                [
                    {
                        "id": row[0],
                        **{
                            field: None
                            if stored is None
                            else unseal(stored, context=f"{table}.{field}")
                            for field, stored in zip(fields, row[2:], strict=True)
                        },
                    }
                    for row in rows
                ],
            )
        for field in fields:
            op.drop_column(table, f"{field}_encrypted")
        op.drop_column(table, "email_index")
        op.drop_column(table, "phone_index")
        op.execute(
            f"CREATE TRIGGER crm_search_terms_write AFTER INSERT OR UPDATE OF name, email, "
            f"company, phone ON {table} FOR EACH ROW EXECUTE FUNCTION crm_search_terms_refresh()"
        )
        op.execute("DELETE FROM crm_search_terms")
    for table in TABLES:
        op.execute(f"UPDATE {table} SET name = name")  # the plain words again
    op.create_index(
        "uq_contacts_organization_id_email",
        "contacts",
        ["organization_id", "email"],
        unique=True,
        postgresql_where=sa.text("email IS NOT NULL"),
    )
    op.create_index("ix_contacts_organization_id_phone", "contacts", ["organization_id", "phone"])
    op.create_index(
        "ix_leads_organization_id_email_created_at",
        "leads",
        ["organization_id", "email", "created_at"],
    )
    op.execute((SQL / "rastro_capture_lead_v1.sql").read_text())
