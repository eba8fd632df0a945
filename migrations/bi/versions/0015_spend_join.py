"""spend join: touch_combinations, spend_mappings, ad_name_history, conversion_facts.utm_id

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0015"
# The coordinator renumbers this revision after the other analytics migrations.
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("touch_combinations", "spend_mappings", "ad_name_history")


def upgrade() -> None:
    op.add_column("conversion_facts", sa.Column("utm_id", sa.Text(), nullable=True))
    # The leads copied so far get their credited touch's utm_id (later copies set it).
    op.execute(
        "UPDATE conversion_facts f SET utm_id = t.utm_id "
        "FROM lead_attribution a JOIN utm_tracking t ON t.tracking_id = a.utm_tracking_id "
        "WHERE a.lead_id = f.lead_id AND t.utm_id IS NOT NULL"
    )
    op.create_table(
        "touch_combinations",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("combination_key", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("medium", sa.Text(), nullable=True),
        sa.Column("campaign", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("term", sa.Text(), nullable=True),
        sa.Column("utm_id", sa.Text(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "organization_id", "combination_key", name=op.f("pk_touch_combinations")
        ),
    )
    op.create_table(
        "spend_mappings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("utm_key", sa.Text(), nullable=False),
        sa.Column("utm_source", sa.Text(), nullable=True),
        sa.Column("utm_campaign", sa.Text(), nullable=True),
        sa.Column("utm_content", sa.Text(), nullable=True),
        sa.Column("utm_term", sa.Text(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("ad_set_id", sa.String(length=64), nullable=True),
        sa.Column("ad_id", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_mappings")),
        sa.UniqueConstraint(
            "organization_id", "utm_key", name=op.f("uq_spend_mappings_organization_id_utm_key")
        ),
    )
    op.create_index(
        op.f("ix_spend_mappings_organization_id"), "spend_mappings", ["organization_id"]
    )
    op.create_table(
        "ad_name_history",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "organization_id",
            "platform",
            "account_id",
            "level",
            "object_id",
            "name_key",
            name=op.f("pk_ad_name_history"),
        ),
    )
    op.create_index(
        "ix_ad_name_history_organization_id_name_key",
        "ad_name_history",
        ["organization_id", "level", "name_key"],
    )
    # The names imported so far are each object's first entry.
    for level, table, key in (
        ("campaign", "ad_campaigns", "campaign_id"),
        ("ad_set", "ad_sets", "ad_set_id"),
        ("ad", "ads", "ad_id"),
    ):
        op.execute(
            "INSERT INTO ad_name_history (organization_id, platform, account_id, level, "  # noqa: S608
            f"object_id, name_key, name) SELECT organization_id, platform, account_id, '{level}', "
            f"{key}, lower(btrim(name)), name FROM {table} "
            "WHERE name IS NOT NULL AND btrim(name) <> '' ON CONFLICT DO NOTHING"
        )
    for table in TABLES:
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_column("conversion_facts", "utm_id")
