"""campaign_metrics_monthly: the daily spend rows summed per ad, month and currency, kept
in step by statement-level triggers on campaign_metrics (rastro_spend_rollup() v1), filled
from the rows already stored

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0034"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"
# Every stored daily row into its month.
FILL = (
    "INSERT INTO campaign_metrics_monthly (organization_id, month, platform, account_id, ad_id, "
    "currency, campaign_id, ad_set_key, ad_set_id, day_count, spend, conversion_value, "
    "impressions, clicks, hooked_impressions, video_3s_views, video_3s_days, conversions) "
    "SELECT organization_id, date_trunc('month', day::timestamp)::date, platform, account_id, ad_id, "
    "currency, campaign_id, CASE WHEN ad_set_id IS NULL THEN '' ELSE '=' || ad_set_id END, "
    "ad_set_id, count(*), sum(spend), sum(conversion_value), sum(impressions), sum(clicks), "
    "coalesce(sum(impressions) FILTER (WHERE video_3s_views IS NOT NULL), 0), "
    "coalesce(sum(video_3s_views), 0), count(video_3s_views), sum(conversions) "
    "FROM campaign_metrics GROUP BY organization_id, date_trunc('month', day::timestamp)::date, platform, "
    "account_id, ad_id, currency, campaign_id, ad_set_id"
)


def upgrade() -> None:
    op.create_table(
        "campaign_metrics_monthly",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("ad_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("ad_set_key", sa.String(length=65), nullable=False),
        sa.Column("ad_set_id", sa.String(length=64), nullable=True),
        sa.Column("day_count", sa.Integer(), nullable=False),
        sa.Column("spend", sa.Numeric(), nullable=False),
        sa.Column("conversion_value", sa.Numeric(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("hooked_impressions", sa.BigInteger(), nullable=False),
        sa.Column("video_3s_views", sa.BigInteger(), nullable=False),
        sa.Column("video_3s_days", sa.Integer(), nullable=False),
        sa.Column("conversions", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint(
            "organization_id",
            "month",
            "platform",
            "account_id",
            "ad_id",
            "currency",
            "campaign_id",
            "ad_set_key",
            name=op.f("pk_campaign_metrics_monthly"),
        ),
    )
    # Every organization's rows (campaign_metrics is behind row-level security).
    op.execute("SELECT set_config('rastro.scope', 'system', true)")
    op.execute(FILL)
    op.execute("SELECT set_config('rastro.scope', '', true)")
    op.execute((SQL / "rastro_spend_rollup_v1.sql").read_text())
    for statement in tenant_rls_sql("campaign_metrics_monthly"):
        op.execute(statement)


def downgrade() -> None:
    for operation in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER spend_rollup_{operation} ON campaign_metrics")
    op.execute("DROP FUNCTION rastro_spend_rollup()")
    op.drop_table("campaign_metrics_monthly")
