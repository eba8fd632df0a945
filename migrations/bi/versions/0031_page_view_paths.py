"""tracking: each page view's path stored with it (`page_views.page_path`,
`rastro_page_path()`, rastro_collect() v4), the views stored before filled in by week

Revision ID: 0031
Revises: 0036
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"
# The stored views are filled in a week of `created_at` per statement and commit.
BATCH = timedelta(days=7)


def upgrade() -> None:
    # Rerunnable: the views are filled in after the first commit below, so a run stopped
    # there leaves the column and the functions in place without the revision recorded.
    op.execute("ALTER TABLE page_views ADD COLUMN IF NOT EXISTS page_path text")
    op.execute((SQL / "rastro_page_path_v1.sql").read_text())
    op.execute((SQL / "rastro_collect_v4.sql").read_text())
    _fill_stored_views()


def _fill_stored_views() -> None:
    """`page_path` of the views stored before, a week per transaction. `ADD COLUMN` holds
    page_views' exclusive lock until its transaction commits: committed first, so the
    collector (v4 from then on) writes on while the older views are filled in. A view
    still NULL (one written by v3 while this ran) is read through `rastro_page_path()`."""
    bind = op.get_bind()
    bind.commit()
    first, last = bind.execute(
        sa.text("SELECT min(created_at), max(created_at) FROM page_views")
    ).one()
    if first is None:
        return
    start = first
    while start <= last:
        bind.execute(
            sa.text(
                "UPDATE page_views SET page_path = rastro_page_path(page_url) "
                "WHERE created_at >= :start AND created_at < :end AND page_path IS NULL"
            ),
            {"start": start, "end": start + BATCH},
        )
        bind.commit()
        start += BATCH


def downgrade() -> None:
    op.execute((SQL / "rastro_collect_v3.sql").read_text())
    op.execute("DROP FUNCTION rastro_page_path(text)")
    op.execute("ALTER TABLE page_views DROP COLUMN page_path")
