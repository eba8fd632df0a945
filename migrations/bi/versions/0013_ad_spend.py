"""ad spend: ad_accounts, campaign_metrics, ad_campaigns, ad_sets, ads, ad_spend_imports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0013"
# The coordinator renumbers this revision after the other analytics migrations.
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("ad_accounts", "campaign_metrics", "ad_campaigns", "ad_sets", "ads", "ad_spend_imports")


def _key() -> list[sa.Column]:
    return [
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
    ]


def _named(table: str, *columns: sa.Column, key: str) -> None:
    op.create_table(
        table,
        *_key(),
        sa.Column(key, sa.String(length=64), nullable=False),
        *columns,
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "platform", "account_id", key, name=op.f(f"pk_{table}")),
    )


def upgrade() -> None:
    op.create_table(
        "ad_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("conversion_types", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_imported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_accounts")),
        sa.UniqueConstraint("organization_id", "platform", "account_id", name=op.f("uq_ad_accounts_organization_id_platform_account_id")),
    )
    op.create_index(op.f("ix_ad_accounts_organization_id"), "ad_accounts", ["organization_id"])

    op.create_table(
        "campaign_metrics",
        *_key(),
        sa.Column("ad_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("ad_set_id", sa.String(length=64), nullable=True),
        sa.Column("spend", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("impressions", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column("clicks", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("link_clicks", sa.BigInteger(), nullable=True),
        sa.Column("video_plays", sa.BigInteger(), nullable=True),
        sa.Column("video_3s_views", sa.BigInteger(), nullable=True),
        sa.Column("thruplays", sa.BigInteger(), nullable=True),
        sa.Column("conversions", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False),
        sa.Column("conversion_value", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False),
        sa.Column("attribution_setting", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "platform", "account_id", "ad_id", "day", name=op.f("pk_campaign_metrics")),
    )
    op.create_index("ix_campaign_metrics_organization_id_day", "campaign_metrics", ["organization_id", "day"])
    op.create_index("ix_campaign_metrics_organization_id_campaign_id", "campaign_metrics", ["organization_id", "platform", "campaign_id"])

    _named("ad_campaigns", key="campaign_id")
    _named("ad_sets", sa.Column("campaign_id", sa.String(length=64), nullable=False), key="ad_set_id")
    _named(
        "ads",
        sa.Column("ad_set_id", sa.String(length=64), nullable=True),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        key="ad_id",
    )

    op.create_table(
        "ad_spend_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ad_account_id", sa.Uuid(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=True),
        sa.Column("date_to", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("days_total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("days_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_spend_imports")),
    )
    op.create_index(op.f("ix_ad_spend_imports_organization_id"), "ad_spend_imports", ["organization_id"])
    op.create_index("ix_ad_spend_imports_organization_id_created_at", "ad_spend_imports", ["organization_id", "created_at"])

    for table in TABLES:
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
