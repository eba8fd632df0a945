"""tracking: rastro_collect() v2 — the exit page is the last view; bots skip journeys

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.execute((SQL / "rastro_collect_v2.sql").read_text())


def downgrade() -> None:
    op.execute((SQL / "rastro_collect_v1.sql").read_text())
