"""rastro_email_clicks() v2: one statement per organization for a group of clicks (v1
ran two statements per click)

Revision ID: 0045
Revises: 0042
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0045"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.execute((SQL / "rastro_email_clicks_v2.sql").read_text())


def downgrade() -> None:
    op.execute((SQL / "rastro_email_clicks_v1.sql").read_text())
