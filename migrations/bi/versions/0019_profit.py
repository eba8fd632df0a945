"""profit: conversion_facts carry the sale (product, payment method, commission, refund,
chargeback); profit_settings, payment_fee_rules and product_costs per organization

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_COLUMNS = (
    ("product", sa.String(length=255)),
    ("payment_method", sa.String(length=40)),
    ("affiliate_commission", sa.Numeric(precision=14, scale=2)),
    ("refunded_amount", sa.Numeric(precision=14, scale=2)),
    ("refunded_at", sa.DateTime(timezone=True)),
    ("chargeback_amount", sa.Numeric(precision=14, scale=2)),
    ("chargeback_at", sa.DateTime(timezone=True)),
)
PERCENT = sa.Numeric(precision=7, scale=4)
MONEY = sa.Numeric(precision=14, scale=2)


def _stamp() -> sa.Column[sa.DateTime]:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    for name, kind in FACT_COLUMNS:
        op.add_column("conversion_facts", sa.Column(name, kind, nullable=True))
    for moment in ("refunded_at", "chargeback_at"):
        op.create_index(
            f"ix_conversion_facts_organization_id_{moment}",
            "conversion_facts",
            ["organization_id", moment],
            postgresql_where=sa.text(f"{moment} IS NOT NULL"),
        )
    op.create_table(
        "profit_settings",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("tax_percent", PERCENT, nullable=False),
        _stamp(),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_profit_settings")),
    )
    op.create_table(
        "payment_fee_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("payment_method", sa.String(length=40), nullable=True),
        sa.Column("percent", PERCENT, nullable=False),
        sa.Column("fixed", MONEY, nullable=False),
        sa.Column("chargeback_fee", MONEY, nullable=False),
        _stamp(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_fee_rules")),
        sa.UniqueConstraint(
            "organization_id",
            "payment_method",
            name=op.f("uq_payment_fee_rules_organization_id_payment_method"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_table(
        "product_costs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("product", sa.String(length=255), nullable=True),
        sa.Column("cost_fixed", MONEY, nullable=False),
        sa.Column("cost_percent", PERCENT, nullable=False),
        sa.Column("commission_percent", PERCENT, nullable=False),
        _stamp(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_costs")),
        sa.UniqueConstraint(
            "organization_id",
            "product",
            name=op.f("uq_product_costs_organization_id_product"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    for table in ("profit_settings", "payment_fee_rules", "product_costs"):
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in ("product_costs", "payment_fee_rules", "profit_settings"):
        op.drop_table(table)
    for moment in ("chargeback_at", "refunded_at"):
        op.drop_index(f"ix_conversion_facts_organization_id_{moment}", "conversion_facts")
    for name, _ in reversed(FACT_COLUMNS):
        op.drop_column("conversion_facts", name)
