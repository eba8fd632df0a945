"""e-mail: `rastro_email_events()` v2 skips an event id stored already (the click
redirect's events are written from the CRM's click queue, at least once), and
`rastro_email_click_events()` goes (the redirect no longer writes BI before answering)

Revision ID: 0045
Revises: 0046
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0045"
down_revision: str | None = "0046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.execute((SQL / "rastro_email_events_v2.sql").read_text())
    op.execute("DROP FUNCTION IF EXISTS rastro_email_click_events(jsonb)")


def downgrade() -> None:
    op.execute((SQL / "rastro_email_click_events_v1.sql").read_text())
    op.execute((SQL / "rastro_email_events_v1.sql").read_text())
