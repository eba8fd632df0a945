"""analytics: page views beside the visitor sets' numbers, a visitor-set level by landing
page, the campaign level indexed by campaign, and the facts indexed by qualification

The sets are derived data: they are emptied and `rollup_state.timezone` is set to NULL,
which makes the next refresh a full one (it writes every day's sets with their page
views) and keeps the reports on the raw rows until then.

Revision ID: 0032
Revises: 0037
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0032"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETS = ("visitor_sets_by_channel", "visitor_sets_by_campaign")
PAGE_LEVEL = "visitor_sets_by_page"
CAMPAIGN_INDEX = "ix_visitor_sets_by_campaign_organization_id_campaign_day"
QUALIFIED_INDEX = "ix_conversion_facts_organization_id_qualified_at"


def upgrade() -> None:
    for table in SETS:
        op.execute(f"DELETE FROM {table}")  # noqa: S608 (a constant table name)
        op.add_column(table, sa.Column("page_views", sa.LargeBinary(), nullable=False))
    op.create_table(
        PAGE_LEVEL,
        sa.Column("row_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("domain_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("medium", sa.Text(), nullable=True),
        sa.Column("device", sa.String(length=20), nullable=True),
        sa.Column("landing_page_id", sa.Uuid(), nullable=True),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("visitors", sa.LargeBinary(), nullable=False),
        sa.Column("page_views", sa.LargeBinary(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("row_id", name=op.f(f"pk_{PAGE_LEVEL}")),
    )
    op.create_index(f"ix_{PAGE_LEVEL}_organization_id_day", PAGE_LEVEL, ["organization_id", "day"])
    for statement in tenant_rls_sql(PAGE_LEVEL):
        op.execute(statement)
    op.create_index(
        CAMPAIGN_INDEX, "visitor_sets_by_campaign", ["organization_id", "campaign", "day"]
    )
    # Every report read adds the qualified leads since the rollups' `through` from the
    # facts: without it, a scan of every fact.
    op.create_index(
        QUALIFIED_INDEX,
        "conversion_facts",
        ["organization_id", "qualified_at"],
        postgresql_where=sa.text("qualified_at IS NOT NULL"),
    )
    op.execute("UPDATE rollup_state SET timezone = NULL")


def downgrade() -> None:
    op.drop_index(QUALIFIED_INDEX, table_name="conversion_facts")
    op.drop_index(CAMPAIGN_INDEX, table_name="visitor_sets_by_campaign")
    op.drop_table(PAGE_LEVEL)
    for table in SETS:
        op.drop_column(table, "page_views")
