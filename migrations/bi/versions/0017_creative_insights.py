"""creative_insights: each ad's recommendation per day computed (the history)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "creative_insights",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("ad_id", sa.String(length=64), nullable=False),
        sa.Column("recommendation", sa.String(length=20), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint(
            "organization_id", "day", "platform", "account_id", "ad_id",
            name=op.f("pk_creative_insights"),
        ),
    )
    for statement in tenant_rls_sql("creative_insights"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("creative_insights")
