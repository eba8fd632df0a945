"""tracking: the funnel index on sessions keyed by start instead of last activity, so
the collector's update of a session (its last activity and counters) touches no indexed
column and stays a HOT update (no new entry in any of the table's nine indexes)

Revision ID: 0037
Revises: 0027
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0037"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_sessions_funnel_id_last_activity_at", table_name="sessions")
    op.create_index(
        "ix_sessions_funnel_id_started_at",
        "sessions",
        ["funnel_id", "started_at"],
        postgresql_where="funnel_id IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_sessions_funnel_id_started_at", table_name="sessions")
    op.create_index(
        "ix_sessions_funnel_id_last_activity_at",
        "sessions",
        ["funnel_id", "last_activity_at"],
        postgresql_where="funnel_id IS NOT NULL",
    )
