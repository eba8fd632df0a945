"""tracking: rastro_collect() v2 (exit pages, bots skip journeys); sessions by reference code

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.execute((SQL / "rastro_collect_v2.sql").read_text())
    # The tracker's reference code (WhatsApp messages) is a session id's first 6 characters:
    # a stored column, because row-level security lets an index serve only leakproof
    # conditions (`ref_code = $1` is; `left(client_session_id, 6) = $1` is not).
    op.add_column(
        "sessions",
        sa.Column(
            "ref_code",
            sa.String(length=6),
            sa.Computed("left(client_session_id, 6)", persisted=True),
            nullable=True,
        ),
    )
    op.create_index("ix_sessions_ref_code", "sessions", ["ref_code"])


def downgrade() -> None:
    op.drop_index("ix_sessions_ref_code", table_name="sessions")
    op.drop_column("sessions", "ref_code")
    op.execute((SQL / "rastro_collect_v1.sql").read_text())
