"""combination_targets: the campaign, ad set and ad each combination of a lead's credited
touch reaches, kept by the refresh and deleted by triggers on the tables the join's rules
read (rastro_combination_targets_stale() v1); conversion_facts.combination_key, the
credited touch's combination key as a stored generated column

Revision ID: 0040
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0040"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"
# `spend_join.combination_key` as an immutable expression (`models.FACT_COMBINATION_KEY`).
FACT_COMBINATION_KEY = (
    "md5("
    + " || E'\\x1f' || ".join(
        f"coalesce({c}, E'\\x01')"
        for c in ("channel::text", "source", "medium", "campaign", "content", "term", "utm_id")
    )
    + " || coalesce(E'\\x1f' || click_id, ''))::uuid"
)
# The columns each table's rules compare (a change elsewhere alters no combination's target).
COMPARED = {
    "ad_campaigns": "organization_id, platform, account_id, campaign_id",
    "ad_sets": "organization_id, platform, account_id, ad_set_id, campaign_id",
    "ads": "organization_id, platform, account_id, ad_id, ad_set_id, campaign_id",
    "ad_name_history": "organization_id, platform, account_id, level, object_id, name_key",
    "spend_mappings": (
        "organization_id, utm_source, utm_campaign, utm_content, utm_term, platform, "
        "account_id, campaign_id, ad_set_id, ad_id"
    ),
    "ad_clicks": "organization_id, platform, click_id, account_id, campaign_id, ad_set_id, ad_id",
}
OPERATIONS = {"insert": "NEW TABLE AS new_rows", "update": None, "delete": "OLD TABLE AS old_rows"}


def upgrade() -> None:
    op.add_column(
        "conversion_facts",
        sa.Column(
            "combination_key",
            sa.Uuid(),
            sa.Computed(FACT_COMBINATION_KEY, persisted=True),
            nullable=False,
        ),
    )
    op.create_table(
        "combination_targets",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("combination_key", sa.Uuid(), nullable=False),
        sa.Column("click_id", sa.Text(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("ad_set_id", sa.String(length=64), nullable=True),
        sa.Column("ad_id", sa.String(length=64), nullable=True),
        sa.Column("rule", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint(
            "organization_id", "combination_key", name=op.f("pk_combination_targets")
        ),
    )
    for statement in tenant_rls_sql("combination_targets"):
        op.execute(statement)
    op.execute((SQL / "rastro_combination_targets_v1.sql").read_text())
    for table, compared in COMPARED.items():
        for operation, referencing in OPERATIONS.items():
            tables = referencing or "OLD TABLE AS old_rows NEW TABLE AS new_rows"
            op.execute(
                f"CREATE TRIGGER combination_targets_{operation} AFTER {operation.upper()} "
                f"ON {table} REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION rastro_combination_targets_stale('{compared}')"
            )
        op.execute(
            f"CREATE TRIGGER combination_targets_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION rastro_combination_targets_stale('')"
        )


def downgrade() -> None:
    for table in COMPARED:
        for operation in (*OPERATIONS, "truncate"):
            op.execute(f"DROP TRIGGER combination_targets_{operation} ON {table}")
    op.execute("DROP FUNCTION rastro_combination_targets_stale()")
    op.drop_table("combination_targets")
    op.drop_column("conversion_facts", "combination_key")
