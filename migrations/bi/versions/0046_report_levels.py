"""analytics: month levels of the page path rollup; session_facts by landing page

`page_path_by_site` and `page_path_by_channel` get twins per local month
(`monthly_page_path_by_site`, `monthly_page_path_by_channel`, column `month`: the month's
first day), filled here from the day rows (the refresh keeps them after this), as 0038 did
for the conversion and event rollups: the behaviour report over 12 months with a channel,
source/medium or device filter read 365 days of `page_path_by_channel`.

`session_facts` gets an index on (organization, landing page, start) with the visitor key:
the A/B report reads the sessions begun on a test's pages through it (index-only) instead
of every session of the period.

Revision ID: 0046
Revises: 0039
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0046"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRAFFIC = ("domain_id", "channel", "source", "medium", "device")
# (day table, month table, dimensions)
PATHS = (
    ("page_path_by_site", "monthly_page_path_by_site", ("domain_id",)),
    ("page_path_by_channel", "monthly_page_path_by_channel", TRAFFIC),
)
MEASURES = ("views", "entries", "exits")
LANDING_INDEX = "ix_session_facts_organization_id_landing_page_id_started_at"


def _dimension(name: str) -> sa.Column:
    kind: sa.types.TypeEngine = {
        "domain_id": sa.Uuid(),
        "channel": sa.String(length=40),
        "device": sa.String(length=20),
    }.get(name, sa.Text())
    return sa.Column(name, kind, nullable=name != "channel")


def upgrade() -> None:
    for day_table, table, dimensions in PATHS:
        op.create_table(
            table,
            sa.Column("row_id", sa.BigInteger(), autoincrement=True, nullable=False),
            sa.Column("month", sa.Date(), nullable=False),
            *(_dimension(name) for name in dimensions),
            sa.Column("page_path", sa.Text(), nullable=False),
            *(sa.Column(m, sa.Integer(), server_default="0", nullable=False) for m in MEASURES),
            sa.Column("organization_id", sa.Uuid(), nullable=False),
            sa.PrimaryKeyConstraint("row_id", name=op.f(f"pk_{table}")),
        )
        op.create_index(f"ix_{table}_organization_id_month", table, ["organization_id", "month"])
        grouped = ", ".join(("organization_id", *dimensions, "page_path"))
        sums = ", ".join(f"sum({m})" for m in MEASURES)
        month = "date_trunc('month', day)::date"
        # Every organization's rows (the day tables are behind row-level security).
        op.execute("SELECT set_config('rastro.scope', 'system', true)")
        op.execute(
            f"INSERT INTO {table} ({grouped}, month, {', '.join(MEASURES)}) "  # noqa: S608 (constants)
            f"SELECT {grouped}, {month}, {sums} FROM {day_table} GROUP BY {grouped}, {month}"
        )
        op.execute("SELECT set_config('rastro.scope', '', true)")
        for statement in tenant_rls_sql(table):
            op.execute(statement)
    op.create_index(
        LANDING_INDEX,
        "session_facts",
        ["organization_id", "landing_page_id", "started_at"],
        postgresql_include=["visitor_key"],
    )


def downgrade() -> None:
    op.drop_index(LANDING_INDEX, table_name="session_facts")
    for _day_table, table, _dimensions in PATHS:
        op.drop_table(table)
