"""email: message events (append-only) and daily campaign aggregates (seed 004)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 17:36:38.246572
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_campaign_daily",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("delivered", sa.Integer(), server_default="0", nullable=False),
        sa.Column("opens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("human_opens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unique_opens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("clicks", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unique_clicks", sa.Integer(), server_default="0", nullable=False),
        sa.Column("hard_bounces", sa.Integer(), server_default="0", nullable=False),
        sa.Column("soft_bounces", sa.Integer(), server_default="0", nullable=False),
        sa.Column("complaints", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unsubscribes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refused", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "refreshed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "campaign_id", "day", name=op.f("pk_email_campaign_daily")
        ),
    )
    op.create_table(
        "email_message_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=12), nullable=False),
        sa.Column("subtype", sa.String(length=20), nullable=True),
        sa.Column("is_machine", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column(
            "detail", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_email_message_events")),
    )
    op.create_index(
        "ix_email_message_events_campaign",
        "email_message_events",
        ["organization_id", "campaign_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_email_message_events_message_id", "email_message_events", ["message_id"], unique=False
    )
    op.create_index(
        "uq_email_message_events_external",
        "email_message_events",
        ["organization_id", "source", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    for table in ["email_message_events", "email_campaign_daily"]:
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index(
        "uq_email_message_events_external",
        table_name="email_message_events",
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_index("ix_email_message_events_message_id", table_name="email_message_events")
    op.drop_index("ix_email_message_events_campaign", table_name="email_message_events")
    op.drop_table("email_message_events")
    op.drop_table("email_campaign_daily")
