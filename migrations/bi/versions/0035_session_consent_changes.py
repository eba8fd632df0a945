"""bi: a session's consent follows a change made mid-session (rastro_collect v5)

Revision ID: 0035
Revises: 0031
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0035"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.execute((SQL / "rastro_collect_v5.sql").read_text())


def downgrade() -> None:
    op.execute((SQL / "rastro_collect_v4.sql").read_text())
