"""funnels: payments (seed 002) and the gateways' webhooks log

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06

`funnel_id` and `step_id` are plain ids here; the funnels' own migrations add their
foreign keys.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'pending', 'paid', 'failed', 'cancelled', 'expired', 'refunded', 'chargedback'"


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("funnel_id", sa.Uuid(), nullable=True),
        sa.Column("step_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("visitor_id", sa.String(length=64), nullable=True),
        sa.Column("parent_payment_id", sa.Uuid(), nullable=True),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("txid", sa.String(length=35), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="BRL", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("payment_method", sa.String(length=20), server_default="pix", nullable=False),
        sa.Column("product_name", sa.String(length=255), nullable=True),
        sa.Column(
            "customer_data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "tracking",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "gateway_response",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("pix_copy_paste", sa.Text(), nullable=True),
        sa.Column("pix_url", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status_changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("conversion_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_payments_status_known")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_payments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_payment_id"],
            ["payments.id"],
            name=op.f("fk_payments_parent_payment_id_payments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_payments_credential_id_credentials"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    op.create_index(op.f("ix_payments_organization_id"), "payments", ["organization_id"])
    op.create_index(
        "ix_payments_organization_id_created_at", "payments", ["organization_id", "created_at"]
    )
    op.create_index(
        "uq_payments_gateway_external_id",
        "payments",
        ["gateway", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_index(
        "uq_payments_organization_id_idempotency_key",
        "payments",
        ["organization_id", "idempotency_key"],
        unique=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_index(
        "ix_payments_pending_expires_at",
        "payments",
        ["expires_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    for statement in tenant_rls_sql("payments"):
        op.execute(statement)

    op.create_table(
        "payment_webhooks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_payment_webhooks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_webhooks_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_webhooks")),
    )
    op.create_index(
        op.f("ix_payment_webhooks_organization_id"), "payment_webhooks", ["organization_id"]
    )
    op.create_index(op.f("ix_payment_webhooks_payment_id"), "payment_webhooks", ["payment_id"])
    op.create_index(
        "uq_payment_webhooks_gateway_external_id_status",
        "payment_webhooks",
        ["gateway", "external_id", "status"],
        unique=True,
    )
    for statement in tenant_rls_sql("payment_webhooks"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("payment_webhooks")
    op.drop_table("payments")
