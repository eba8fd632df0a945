"""tracking health and alerts: ad_url_checks, alert_rules, alert_events, alert_deliveries

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0018"
# The coordinator re-chains this revision after the other analytics migrations
# (main has 0016 fx_rates and 0017 creative_insights: chain this one after 0017).
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("ad_url_checks", "alert_rules", "alert_events", "alert_deliveries")


def _now(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "ad_url_checks",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("ad_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("landing_url", sa.Text(), nullable=True),
        sa.Column("url_suffix", sa.Text(), nullable=True),
        sa.Column("tracking_template", sa.Text(), nullable=True),
        sa.Column("auto_tagging", sa.Boolean(), nullable=True),
        sa.Column(
            "parameters", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("missing", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        _now("checked_at"),
        sa.PrimaryKeyConstraint(
            "organization_id", "platform", "account_id", "ad_id", name=op.f("pk_ad_url_checks")
        ),
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("comparator", sa.String(length=10), nullable=False),
        sa.Column("threshold", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("daily_budget", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("webhook_credential_id", sa.Uuid(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_index(op.f("ix_alert_rules_organization_id"), "alert_rules", ["organization_id"])
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("subject_key", sa.Text(), nullable=False),
        sa.Column("subject", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("resolved_figures", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        _now("opened_at"),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        _now("last_evaluated_at"),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    op.create_index(op.f("ix_alert_events_organization_id"), "alert_events", ["organization_id"])
    op.create_index(
        "ix_alert_events_organization_id_opened_at",
        "alert_events",
        ["organization_id", "opened_at"],
    )
    op.create_index(
        "uq_alert_events_open",
        "alert_events",
        ["organization_id", "rule_id", "subject_key"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("transition", sa.String(length=10), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        _now("created_at"),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint(
            "organization_id",
            "event_id",
            "transition",
            name=op.f("uq_alert_deliveries_organization_id_event_id_transition"),
        ),
    )
    op.create_index(
        op.f("ix_alert_deliveries_organization_id"), "alert_deliveries", ["organization_id"]
    )
    for table in TABLES:
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
