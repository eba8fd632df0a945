"""email: per-organization settings (soft-bounce limit), provider webhook tokens seen
(Mailgun replay refusal) and the `sending` message status (idempotent SMTP sending)

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0031"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_settings",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("soft_bounce_limit", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "soft_bounce_limit BETWEEN 1 AND 100",
            name=op.f("ck_email_settings_soft_bounce_limit_range"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_email_settings")),
    )
    op.create_table(
        "email_webhook_tokens",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_webhook_tokens_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "provider", "token", name=op.f("pk_email_webhook_tokens")
        ),
    )
    op.create_index(
        op.f("ix_email_webhook_tokens_received_at"),
        "email_webhook_tokens",
        ["received_at"],
        unique=False,
    )
    op.add_column(
        "email_messages", sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True)
    )
    op.drop_constraint(op.f("ck_email_messages_status_known"), "email_messages", type_="check")
    op.create_check_constraint(
        op.f("ck_email_messages_status_known"),
        "email_messages",
        "status IN ('queued', 'sending', 'sent', 'failed')",
    )
    for table in ["email_settings", "email_webhook_tokens"]:
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.execute("UPDATE email_messages SET status = 'failed' WHERE status = 'sending'")
    op.drop_constraint(op.f("ck_email_messages_status_known"), "email_messages", type_="check")
    op.create_check_constraint(
        op.f("ck_email_messages_status_known"),
        "email_messages",
        "status IN ('queued', 'sent', 'failed')",
    )
    op.drop_column("email_messages", "sending_since")
    op.drop_index(op.f("ix_email_webhook_tokens_received_at"), table_name="email_webhook_tokens")
    op.drop_table("email_webhook_tokens")
    op.drop_table("email_settings")
