"""analytics: each lead's first touch and its touches, kept by the rollup refresh (the
cohorts, attribution and journeys reports read them instead of searching every lead's
touches on each request)

Derived data: the next refresh fills it (leads without a current row are read from the
raw touches until then).

Revision ID: 0033
Revises: 0035
Create Date: 2026-12-07 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0033"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOURNEY_COLUMNS = (
    "channel",
    "source",
    "medium",
    "campaign",
    "content",
    "term",
    "utm_id",
    "click_id",
)


def upgrade() -> None:
    op.create_table(
        "lead_first_touches",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("fact_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("medium", sa.Text(), nullable=True),
        sa.Column("campaign", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_first_touches")),
    )
    op.create_index(
        op.f("ix_lead_first_touches_organization_id"), "lead_first_touches", ["organization_id"]
    )
    for statement in tenant_rls_sql("lead_first_touches"):
        op.execute(statement)
    op.create_table(
        "lead_journeys",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("fact_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched_at", postgresql.ARRAY(sa.DateTime(timezone=True)), nullable=True),
        *(sa.Column(name, postgresql.ARRAY(sa.Text()), nullable=True) for name in JOURNEY_COLUMNS),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_journeys")),
    )
    op.create_index(op.f("ix_lead_journeys_organization_id"), "lead_journeys", ["organization_id"])
    for statement in tenant_rls_sql("lead_journeys"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("lead_journeys")
    op.drop_table("lead_first_touches")
