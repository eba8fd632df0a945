"""analytics: conversion_facts, session_facts, daily_conversions_summary, rollup_state

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def _dimensions(domain_nullable: bool = True) -> list[sa.Column]:
    return [
    sa.Column("domain_id", sa.Uuid(), nullable=domain_nullable),
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
        "conversion_facts",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_id", sa.String(length=80), nullable=True),
        sa.Column("visitor_ids", postgresql.ARRAY(sa.String(length=64)), server_default="{}", nullable=False),
        *_dimensions(),
        sa.Column("score_points", sa.Integer(), nullable=False),
        sa.Column("time_to_conversion", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("qualified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("won_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revenue", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_conversion_facts")),
    )
    op.create_index(op.f("ix_conversion_facts_organization_id"), "conversion_facts", ["organization_id"])
    op.create_index("ix_conversion_facts_organization_id_created_at", "conversion_facts", ["organization_id", "created_at"])
    op.create_index("ix_conversion_facts_organization_id_won_at", "conversion_facts", ["organization_id", "won_at"], postgresql_where=sa.text("won_at IS NOT NULL"))
    op.create_index("ix_conversion_facts_organization_id_updated_at", "conversion_facts", ["organization_id", "updated_at"])

    op.create_table(
        "session_facts",
        sa.Column("session_id", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visitor_id", sa.String(length=64), nullable=False),
        sa.Column("visitor_key", sa.BigInteger(), nullable=False),
        *_dimensions(domain_nullable=False),
        sa.Column("page_views", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("converted", sa.Boolean(), nullable=False),
        sa.Column("is_new", sa.Boolean(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_facts")),
    )
    op.create_index(op.f("ix_session_facts_organization_id"), "session_facts", ["organization_id"])
    op.create_index("ix_session_facts_organization_id_started_at", "session_facts", ["organization_id", "started_at", "visitor_key"])

    op.create_table(
        "daily_conversions_summary",
        sa.Column("row_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        *_dimensions(),
        sa.Column("currency", sa.String(length=3), nullable=True),
        *[
            sa.Column(name, kind, server_default="0", nullable=False)
            for name, kind in [
                ("sessions", sa.Integer()),
                ("new_sessions", sa.Integer()),
                ("bounces", sa.Integer()),
                ("page_views", sa.Integer()),
                ("events", sa.Integer()),
                ("duration", sa.BigInteger()),
                ("converted_sessions", sa.Integer()),
                ("leads", sa.Integer()),
                ("score_points", sa.Integer()),
                ("conversion_seconds", sa.BigInteger()),
                ("conversion_timed", sa.Integer()),
                ("qualified", sa.Integer()),
                ("won", sa.Integer()),
                ("revenue", sa.Numeric(precision=16, scale=2)),
                ("sales_cycle_seconds", sa.BigInteger()),
            ]
        ],
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("row_id", name=op.f("pk_daily_conversions_summary")),
    )
    op.create_index(op.f("ix_daily_conversions_summary_organization_id"), "daily_conversions_summary", ["organization_id"])
    op.create_index("ix_daily_conversions_summary_organization_id_hour", "daily_conversions_summary", ["organization_id", "hour"])

    op.create_table(
        "rollup_state",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("through", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_rollup_state")),
    )

    for table in ("conversion_facts", "session_facts", "daily_conversions_summary", "rollup_state"):
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in ("rollup_state", "daily_conversions_summary", "session_facts", "conversion_facts"):
        op.drop_table(table)
