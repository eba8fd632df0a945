"""e-mail clicks kept with the touch: utm_tracking's email_message_id / email_contact_id
(the landing's `mid` / `rid`), and lead_attribution's email_message_id (the journey's
latest e-mail click); rastro_email_events(), the click redirect's one-round-trip event write

Revision ID: 0036
Revises: 0034
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_SQL = Path(__file__).resolve().parents[1] / "sql" / "rastro_email_events_v1.sql"


def upgrade() -> None:
    # Nullable columns without a default: no table rewrite (partitions included).
    op.add_column("utm_tracking", sa.Column("email_message_id", sa.Uuid(), nullable=True))
    op.add_column("utm_tracking", sa.Column("email_contact_id", sa.Uuid(), nullable=True))
    op.add_column("lead_attribution", sa.Column("email_message_id", sa.Uuid(), nullable=True))
    op.execute(EVENT_SQL.read_text())


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS rastro_email_events(jsonb)")
    op.drop_column("lead_attribution", "email_message_id")
    op.drop_column("utm_tracking", "email_contact_id")
    op.drop_column("utm_tracking", "email_message_id")
