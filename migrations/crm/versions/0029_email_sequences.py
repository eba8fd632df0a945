"""email: sequences (automation), their steps and enrollments (#20 item 3)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 20:29:42.321199
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_sequences",
        sa.Column("sequence_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("trigger_stage", sa.String(length=20), nullable=True),
        sa.Column("trigger_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="draft", nullable=False),
        sa.Column("exit_on_reply", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "exit_stages",
            postgresql.ARRAY(sa.String(length=20)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("reply_to", sa.String(length=320), nullable=True),
        sa.Column("sender_id", sa.Uuid(), nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'paused')", name=op.f("ck_email_sequences_status_known")
        ),
        sa.CheckConstraint(
            "trigger <> 'stage_changed' OR trigger_stage IS NOT NULL",
            name=op.f("ck_email_sequences_stage_given"),
        ),
        sa.CheckConstraint(
            "trigger IN ('lead_created', 'stage_changed', 'deal_won', 'pix_unpaid')",
            name=op.f("ck_email_sequences_trigger_known"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_sequences_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["email_senders.sender_id"],
            name=op.f("fk_email_sequences_sender_id_email_senders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("sequence_id", name=op.f("pk_email_sequences")),
    )
    op.create_index(
        "ix_email_sequences_organization_id_trigger",
        "email_sequences",
        ["organization_id", "trigger"],
        unique=False,
    )
    op.create_table(
        "email_sequence_steps",
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("sequence_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("wait_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("condition", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("otherwise", sa.String(length=10), server_default="skip", nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "otherwise IN ('skip', 'exit')", name=op.f("ck_email_sequence_steps_otherwise_known")
        ),
        sa.CheckConstraint("position >= 1", name=op.f("ck_email_sequence_steps_position_positive")),
        sa.CheckConstraint(
            "wait_minutes >= 0", name=op.f("ck_email_sequence_steps_wait_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["email_campaigns.campaign_id"],
            name=op.f("fk_email_sequence_steps_campaign_id_email_campaigns"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_sequence_steps_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sequence_id"],
            ["email_sequences.sequence_id"],
            name=op.f("fk_email_sequence_steps_sequence_id_email_sequences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("step_id", name=op.f("pk_email_sequence_steps")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_email_sequence_steps_campaign_id")),
        sa.UniqueConstraint(
            "sequence_id",
            "position",
            deferrable=True,
            initially="DEFERRED",
            name=op.f("uq_email_sequence_steps_sequence_id_position"),
        ),
    )
    op.create_index(
        op.f("ix_email_sequence_steps_organization_id"),
        "email_sequence_steps",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "email_sequence_enrollments",
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("sequence_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("source_ref", sa.String(length=64), nullable=True),
        sa.Column("position", sa.Integer(), server_default="1", nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="active", nullable=False),
        sa.Column("exit_reason", sa.String(length=20), nullable=True),
        sa.Column(
            "enrolled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "exit_reason IS NULL OR exit_reason IN ('replied', 'stage', 'won', 'unsubscribed',"
            " 'suppressed', 'paid', 'condition', 'manual')",
            name=op.f("ck_email_sequence_enrollments_exit_reason_known"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'exited')",
            name=op.f("ck_email_sequence_enrollments_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["email_contacts.contact_id"],
            name=op.f("fk_email_sequence_enrollments_contact_id_email_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.lead_id"],
            name=op.f("fk_email_sequence_enrollments_lead_id_leads"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_sequence_enrollments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sequence_id"],
            ["email_sequences.sequence_id"],
            name=op.f("fk_email_sequence_enrollments_sequence_id_email_sequences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enrollment_id", name=op.f("pk_email_sequence_enrollments")),
        sa.UniqueConstraint(
            "sequence_id",
            "contact_id",
            name=op.f("uq_email_sequence_enrollments_sequence_id_contact_id"),
        ),
    )
    op.create_index(
        "ix_email_sequence_enrollments_contact_id",
        "email_sequence_enrollments",
        ["contact_id"],
        unique=False,
    )
    op.create_index(
        "ix_email_sequence_enrollments_due",
        "email_sequence_enrollments",
        ["next_run_at"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        op.f("ix_email_sequence_enrollments_organization_id"),
        "email_sequence_enrollments",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        "ix_email_sequence_enrollments_source_ref",
        "email_sequence_enrollments",
        ["source_ref"],
        unique=False,
        postgresql_where=sa.text("source_ref IS NOT NULL"),
    )

    for table in ("email_sequences", "email_sequence_steps", "email_sequence_enrollments"):
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index(
        "ix_email_sequence_enrollments_source_ref",
        table_name="email_sequence_enrollments",
        postgresql_where=sa.text("source_ref IS NOT NULL"),
    )
    op.drop_index(
        op.f("ix_email_sequence_enrollments_organization_id"),
        table_name="email_sequence_enrollments",
    )
    op.drop_index(
        "ix_email_sequence_enrollments_due",
        table_name="email_sequence_enrollments",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index(
        "ix_email_sequence_enrollments_contact_id", table_name="email_sequence_enrollments"
    )
    op.drop_table("email_sequence_enrollments")
    op.drop_index(
        op.f("ix_email_sequence_steps_organization_id"), table_name="email_sequence_steps"
    )
    op.drop_table("email_sequence_steps")
    op.drop_index("ix_email_sequences_organization_id_trigger", table_name="email_sequences")
    op.drop_table("email_sequences")
