"""analytics: the visitor numbers of each day's leads (`lead_visitor_sets`)

New vs returning visitors reads which visitors converted from here instead of unnesting
every lead's visitor ids on each request. Filled here for the leads created before each
organization's rollups' `through`, in its timezone, with the visitor numbers given so far
(what the last refresh would have written; the refresh keeps it after this).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "lead_visitor_sets"
FILL = f"""
INSERT INTO {TABLE} (organization_id, day, numbers, unnumbered_keys)
SELECT k.organization_id, k.day,
       coalesce(string_agg(int4send(n.number), ''::bytea), ''::bytea),
       coalesce(array_agg(DISTINCT k.visitor_key) FILTER (WHERE n.number IS NULL), '{{}}')
FROM (
    SELECT f.organization_id,
           CAST(timezone(s.timezone, f.created_at) AS date) AS day,
           hashtextextended(unnest(f.visitor_ids), 0) AS visitor_key
    FROM conversion_facts f
    JOIN rollup_state s ON s.organization_id = f.organization_id
    WHERE s.timezone IS NOT NULL AND f.created_at < s.through
) k
LEFT JOIN visitor_numbers n
    ON n.organization_id = k.organization_id AND n.visitor_key = k.visitor_key
GROUP BY k.organization_id, k.day
"""  # noqa: S608 (constants)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("numbers", sa.LargeBinary(), nullable=False),
        sa.Column("unnumbered_keys", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "day", name=op.f(f"pk_{TABLE}")),
    )
    # Every organization's rows (the tables read are behind row-level security).
    op.execute("SELECT set_config('rastro.scope', 'system', true)")
    op.execute(FILL)
    op.execute("SELECT set_config('rastro.scope', '', true)")
    for statement in tenant_rls_sql(TABLE):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table(TABLE)
