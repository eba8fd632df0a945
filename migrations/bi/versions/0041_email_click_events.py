"""rastro_email_click_events(): the click redirect's BI write without the CRM's answer
(the message's campaign and recipient read from its own events), so the group writer
commits its CRM and BI statements at the same time

Revision ID: 0041
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLICK_EVENTS_SQL = Path(__file__).resolve().parents[1] / "sql" / "rastro_email_click_events_v1.sql"


def upgrade() -> None:
    op.execute(CLICK_EVENTS_SQL.read_text())


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS rastro_email_click_events(jsonb)")
