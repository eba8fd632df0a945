"""funnels: a session's funnel and current step (seed 002 `visitors`)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("funnel_id", sa.Uuid(), nullable=True))
    op.add_column("sessions", sa.Column("current_step_id", sa.Uuid(), nullable=True))
    op.create_index(
        "ix_sessions_funnel_id_last_activity_at",
        "sessions",
        ["funnel_id", "last_activity_at"],
        postgresql_where=sa.text("funnel_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_sessions_funnel_id_last_activity_at", table_name="sessions")
    op.drop_column("sessions", "current_step_id")
    op.drop_column("sessions", "funnel_id")
