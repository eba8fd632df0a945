"""email: contact imports (CSV with progress and row errors), subscription forms (double
opt-in proof), A/B subject variants

Revision ID: 0030
Revises: 0032
Create Date: 2026-12-06 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql
from sqlalchemy.dialects import postgresql

revision: str = "0030"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def _org(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organization_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_organization_id_organizations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "email_forms",
        sa.Column("form_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("audience_id", sa.Uuid(), nullable=True),
        sa.Column(
            "tags", postgresql.ARRAY(sa.String(length=60)), server_default="{}", nullable=False
        ),
        sa.Column("sender_id", sa.Uuid(), nullable=True),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=5), server_default="pt-BR", nullable=False),
        sa.Column("redirect_url", sa.String(length=2000), nullable=True),
        _now("created_at"),
        sa.CheckConstraint(
            "language IN ('pt-BR', 'en')", name=op.f("ck_email_forms_language_known")
        ),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["email_audiences.audience_id"],
            name=op.f("fk_email_forms_audience_id_email_audiences"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["email_senders.sender_id"],
            name=op.f("fk_email_forms_sender_id_email_senders"),
            ondelete="SET NULL",
        ),
        _org("email_forms"),
        sa.PrimaryKeyConstraint("form_id", name=op.f("pk_email_forms")),
        sa.UniqueConstraint("token", name=op.f("uq_email_forms_token")),
    )
    op.create_index(
        op.f("ix_email_forms_organization_id"), "email_forms", ["organization_id"], unique=False
    )
    op.create_table(
        "email_imports",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("columns", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column(
            "mapping", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("audience_id", sa.Uuid(), nullable=True),
        sa.Column(
            "contact_status", sa.String(length=12), server_default="active", nullable=False
        ),
        sa.Column("status", sa.String(length=10), server_default="uploaded", nullable=False),
        sa.Column("rows_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        _now("created_at"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('uploaded', 'queued', 'running', 'done', 'failed')",
            name=op.f("ck_email_imports_status_known"),
        ),
        sa.CheckConstraint(
            "contact_status IN ('active', 'unconfirmed')",
            name=op.f("ck_email_imports_contact_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["email_audiences.audience_id"],
            name=op.f("fk_email_imports_audience_id_email_audiences"),
            ondelete="SET NULL",
        ),
        _org("email_imports"),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_email_imports")),
    )
    op.create_index(
        op.f("ix_email_imports_organization_id"),
        "email_imports",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "email_import_errors",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["email_imports.import_id"],
            name=op.f("fk_email_import_errors_import_id_email_imports"),
            ondelete="CASCADE",
        ),
        _org("email_import_errors"),
        sa.PrimaryKeyConstraint("import_id", "row", name=op.f("pk_email_import_errors")),
    )
    op.add_column("email_contacts", sa.Column("consent_form_id", sa.Uuid(), nullable=True))
    op.add_column(
        "email_contacts", sa.Column("confirmed_ip", sa.String(length=45), nullable=True)
    )
    op.add_column(
        "email_contacts",
        sa.Column("confirmation_sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_foreign_key(
        op.f("fk_email_contacts_consent_form_id_email_forms"),
        "email_contacts",
        "email_forms",
        ["consent_form_id"],
        ["form_id"],
        ondelete="SET NULL",
    )
    op.add_column(
        "email_campaigns",
        sa.Column(
            "subject_variants",
            postgresql.ARRAY(sa.String(length=300)),
            server_default="{}",
            nullable=False,
        ),
    )
    op.add_column("email_campaigns", sa.Column("ab_sample_percent", sa.Integer(), nullable=True))
    op.add_column("email_campaigns", sa.Column("ab_metric", sa.String(length=10), nullable=True))
    op.add_column("email_campaigns", sa.Column("ab_wait_minutes", sa.Integer(), nullable=True))
    op.add_column("email_campaigns", sa.Column("ab_winner", sa.Integer(), nullable=True))
    op.add_column(
        "email_campaigns",
        sa.Column("ab_decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("email_messages", sa.Column("variant", sa.Integer(), nullable=True))
    # `held` added; `sending` (the claimed state of the providers' migration) is listed
    # too, so the constraint is right whichever of the two runs first.
    op.drop_constraint(op.f("ck_email_messages_status_known"), "email_messages", type_="check")
    op.create_check_constraint(
        op.f("ck_email_messages_status_known"),
        "email_messages",
        "status IN ('queued', 'sending', 'held', 'sent', 'failed')",
    )
    for table in ["email_forms", "email_imports", "email_import_errors"]:
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_email_messages_status_known"), "email_messages", type_="check")
    op.execute("UPDATE email_messages SET status = 'queued' WHERE status = 'held'")
    op.create_check_constraint(
        op.f("ck_email_messages_status_known"),
        "email_messages",
        "status IN ('queued', 'sending', 'sent', 'failed')",
    )
    op.drop_column("email_messages", "variant")
    for column in (
        "ab_decided_at",
        "ab_winner",
        "ab_wait_minutes",
        "ab_metric",
        "ab_sample_percent",
        "subject_variants",
    ):
        op.drop_column("email_campaigns", column)
    op.drop_constraint(
        op.f("fk_email_contacts_consent_form_id_email_forms"), "email_contacts", type_="foreignkey"
    )
    for column in ("confirmation_sent_at", "confirmed_ip", "consent_form_id"):
        op.drop_column("email_contacts", column)
    op.drop_table("email_import_errors")
    op.drop_index(op.f("ix_email_imports_organization_id"), table_name="email_imports")
    op.drop_table("email_imports")
    op.drop_index(op.f("ix_email_forms_organization_id"), table_name="email_forms")
    op.drop_table("email_forms")
