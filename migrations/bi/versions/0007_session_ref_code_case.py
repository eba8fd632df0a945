"""tracking: sessions.ref_code without case (session ids may hold capitals)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ref_code(expression: str) -> None:
    # PostgreSQL 16 cannot change a generated column's expression: the column and its
    # index are made again. The index stays on a stored column, so that row-level
    # security lets it serve `ref_code = $1` (a leakproof condition; `lower(…) = $1` on
    # an expression index would not be).
    op.drop_index("ix_sessions_ref_code", table_name="sessions")
    op.drop_column("sessions", "ref_code")
    op.add_column(
        "sessions",
        sa.Column(
            "ref_code", sa.String(length=6), sa.Computed(expression, persisted=True), nullable=True
        ),
    )
    op.create_index("ix_sessions_ref_code", "sessions", ["ref_code"])


def upgrade() -> None:
    _ref_code("lower(left(client_session_id, 6))")


def downgrade() -> None:
    _ref_code("left(client_session_id, 6)")
