"""analytics: event_type_summary (events by type per session-start hour and dimensions)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_type_summary",
        sa.Column("row_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("domain_id", sa.Uuid(), nullable=True),
        sa.Column("landing_page_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("medium", sa.Text(), nullable=True),
        sa.Column("campaign", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("term", sa.Text(), nullable=True),
        sa.Column("device", sa.String(length=20), nullable=True),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("sessions_with_event", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("row_id", name=op.f("pk_event_type_summary")),
    )
    op.create_index(
        op.f("ix_event_type_summary_organization_id"), "event_type_summary", ["organization_id"]
    )
    op.create_index(
        "ix_event_type_summary_organization_id_hour",
        "event_type_summary",
        ["organization_id", "hour"],
    )
    for statement in tenant_rls_sql("event_type_summary"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("event_type_summary")
