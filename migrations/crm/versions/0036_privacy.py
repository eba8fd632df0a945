"""privacy: the access audit log (append-only) and data-subject requests

Revision ID: 0036
Revises: 0041
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0036"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The log is append-only twice over: the application role (which owns the table, having
# created it) gives up UPDATE and DELETE on it, and a trigger refuses both for anyone
# else the privileges would let through (a superuser, a role granted them later).
APPEND_ONLY = [
    """
    CREATE FUNCTION privacy_audit_log_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'privacy_audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "CREATE TRIGGER privacy_audit_log_append_only BEFORE UPDATE OR DELETE "
    "ON privacy_audit_log FOR EACH ROW EXECUTE FUNCTION privacy_audit_log_refuse_change()",
    "REVOKE UPDATE, DELETE ON privacy_audit_log FROM PUBLIC",
    "REVOKE UPDATE, DELETE ON privacy_audit_log FROM CURRENT_USER",
]


def upgrade() -> None:
    op.create_table(
        "privacy_audit_log",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("entity_type", sa.String(length=200), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=True),
        sa.Column("method", sa.String(length=7), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("ip", postgresql.INET(), nullable=True),
        sa.Column("user_agent", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_privacy_audit_log")),
    )
    op.create_index(
        "ix_privacy_audit_log_organization_id_occurred_at",
        "privacy_audit_log",
        ["organization_id", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "privacy_subject_requests",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="received", nullable=False),
        sa.Column("subject_email", sa.String(length=320), nullable=True),
        sa.Column("subject_phone", sa.String(length=20), nullable=True),
        sa.Column("email_mask", sa.String(length=320), nullable=True),
        sa.Column("phone_mask", sa.String(length=20), nullable=True),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("rejection_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "proof",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("export_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_privacy_subject_requests_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_privacy_subject_requests")),
    )
    op.create_index(
        "ix_privacy_subject_requests_organization_id_received_at",
        "privacy_subject_requests",
        ["organization_id", "received_at"],
        unique=False,
    )
    for table in ("privacy_audit_log", "privacy_subject_requests"):
        for statement in tenant_rls_sql(table):
            op.execute(statement)
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("privacy_subject_requests")
    op.drop_table("privacy_audit_log")
    op.execute("DROP FUNCTION privacy_audit_log_refuse_change()")
