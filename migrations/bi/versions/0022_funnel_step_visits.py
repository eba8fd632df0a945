"""funnels: step visits for the funnel analytics and monitor

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "funnel_step_visits",
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.String(length=80), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("funnel_id", sa.Uuid(), nullable=False),
        sa.Column("visitor_id", sa.String(length=64), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("medium", sa.String(length=255), nullable=True),
        sa.Column("campaign", sa.String(length=255), nullable=True),
        sa.Column("device", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("step_id", "session_id", name=op.f("pk_funnel_step_visits")),
    )
    op.create_index(
        "ix_funnel_step_visits_funnel_id_visited_at",
        "funnel_step_visits",
        ["funnel_id", "visited_at"],
    )
    op.create_index("ix_funnel_step_visits_session_id", "funnel_step_visits", ["session_id"])
    op.create_index(
        "ix_funnel_step_visits_organization_id", "funnel_step_visits", ["organization_id"]
    )
    for statement in tenant_rls_sql("funnel_step_visits"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("funnel_step_visits")
