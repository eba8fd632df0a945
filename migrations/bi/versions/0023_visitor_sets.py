"""analytics: dense visitor numbers and per-day visitor sets (exact distinct visitors
over any range without counting session_facts)

The sets are derived data: `rollup_state.timezone` is set to NULL, which makes the next
refresh a full one (it numbers every visitor and writes every day's sets) and keeps the
reports on the raw rows until then.

Revision ID: 0023
Revises: 0030
Create Date: 2026-12-06 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0023"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def _traffic() -> list[sa.Column]:
    return [
        sa.Column("domain_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("medium", sa.Text(), nullable=True),
        sa.Column("device", sa.String(length=20), nullable=True),
    ]
LEVELS = {
    "visitor_sets_by_channel": (),
    "visitor_sets_by_campaign": ("landing_page_id", "campaign"),
}


def upgrade() -> None:
    op.create_table(
        "visitor_numbers",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("visitor_key", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "visitor_key", name=op.f("pk_visitor_numbers")),
    )
    op.create_index(
        "uq_visitor_numbers_organization_id_number",
        "visitor_numbers",
        ["organization_id", "number"],
        unique=True,
    )
    for statement in tenant_rls_sql("visitor_numbers"):
        op.execute(statement)
    for table, extra in LEVELS.items():
        columns = _traffic()
        if "landing_page_id" in extra:
            columns.append(sa.Column("landing_page_id", sa.Uuid(), nullable=True))
        if "campaign" in extra:
            columns.append(sa.Column("campaign", sa.Text(), nullable=True))
        op.create_table(
            table,
            sa.Column("row_id", sa.BigInteger(), autoincrement=True, nullable=False),
            sa.Column("day", sa.Date(), nullable=False),
            *columns,
            sa.Column("sessions", sa.Integer(), nullable=False),
            sa.Column("visitors", sa.LargeBinary(), nullable=False),
            sa.Column("organization_id", sa.Uuid(), nullable=False),
            sa.PrimaryKeyConstraint("row_id", name=op.f(f"pk_{table}")),
        )
        op.create_index(f"ix_{table}_organization_id_day", table, ["organization_id", "day"])
        for statement in tenant_rls_sql(table):
            op.execute(statement)
    op.execute("UPDATE rollup_state SET timezone = NULL")


def downgrade() -> None:
    for table in LEVELS:
        op.drop_table(table)
    op.drop_table("visitor_numbers")
