"""conversion-clicks: the click each platform's delivery used, and when a platform last
refused an account's credential (platform health)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "offline_conversion_syncs",
        sa.Column("click", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "platform_circuit_breakers",
        sa.Column("credential_rejected_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("platform_circuit_breakers", "credential_rejected_at")
    op.drop_column("offline_conversion_syncs", "click")
