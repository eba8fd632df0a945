"""analytics: analytics_settings (the Overview's attribution model, lookback, half-life)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_settings",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("overview_model", sa.String(length=20), nullable=False),
        sa.Column("lookback_days", sa.Integer(), nullable=False),
        sa.Column("half_life_days", sa.Float(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_analytics_settings")),
    )
    for statement in tenant_rls_sql("analytics_settings"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("analytics_settings")
