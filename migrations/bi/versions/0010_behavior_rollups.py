"""analytics: page_path_summary (visitor behaviour: page paths per hour)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dimensions() -> list[sa.Column]:
    return [
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("domain_id", sa.Uuid(), nullable=True),
        sa.Column("landing_page_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("medium", sa.Text(), nullable=True),
        sa.Column("campaign", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("term", sa.Text(), nullable=True),
        sa.Column("device", sa.String(length=20), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "page_path_summary",
        sa.Column("row_id", sa.BigInteger(), autoincrement=True, nullable=False),
        *_dimensions(),
        sa.Column("page_path", sa.Text(), nullable=False),
        sa.Column("views", sa.Integer(), server_default="0", nullable=False),
        sa.Column("entries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("exits", sa.Integer(), server_default="0", nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("row_id", name=op.f("pk_page_path_summary")),
    )
    for table in ("page_path_summary",):
        op.create_index(op.f(f"ix_{table}_organization_id"), table, ["organization_id"])
        op.create_index(f"ix_{table}_organization_id_hour", table, ["organization_id", "hour"])
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("page_path_summary")
