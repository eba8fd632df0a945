"""bi: a batch of a known, open session writes its session row once (rastro_collect v6)

Revision ID: 0044
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0044"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.execute((SQL / "rastro_collect_v6.sql").read_text())


def downgrade() -> None:
    op.execute((SQL / "rastro_collect_v5.sql").read_text())
