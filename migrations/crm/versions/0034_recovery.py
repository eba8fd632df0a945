"""funnels: recovery of abandoned checkouts and unpaid PIX/boleto (settings, cases, actions)

Revision ID: 0034
Revises: 0031
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0034"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("recovery_actions", "recovery_cases", "recovery_checkout_starts", "recovery_settings")


def _now() -> sa.TextClause:
    return sa.text("now()")


def _organization(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f(f"fk_{table}_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "recovery_settings",
        *_organization("recovery_settings"),
        sa.Column("funnel_id", sa.Uuid(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("checkout_delay_minutes", sa.Integer(), server_default="30", nullable=False),
        sa.Column("pix_delay_minutes", sa.Integer(), server_default="15", nullable=False),
        sa.Column("boleto_delay_minutes", sa.Integer(), server_default="1440", nullable=False),
        sa.Column("link_valid_hours", sa.Integer(), server_default="72", nullable=False),
        sa.Column("language", sa.String(length=5), server_default="pt-BR", nullable=False),
        sa.Column("whatsapp_message", sa.Text(), nullable=True),
        sa.Column("webhook_credential_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "checkout_delay_minutes BETWEEN 5 AND 10080",
            name=op.f("ck_recovery_settings_checkout_delay"),
        ),
        sa.CheckConstraint(
            "pix_delay_minutes BETWEEN 5 AND 10080", name=op.f("ck_recovery_settings_pix_delay")
        ),
        sa.CheckConstraint(
            "boleto_delay_minutes BETWEEN 5 AND 20160",
            name=op.f("ck_recovery_settings_boleto_delay"),
        ),
        sa.CheckConstraint(
            "link_valid_hours BETWEEN 1 AND 720", name=op.f("ck_recovery_settings_link_valid")
        ),
        sa.CheckConstraint(
            "language IN ('pt-BR', 'en')", name=op.f("ck_recovery_settings_language_known")
        ),
        sa.ForeignKeyConstraint(
            ["funnel_id"],
            ["funnels.id"],
            name=op.f("fk_recovery_settings_funnel_id_funnels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_credential_id"],
            ["credentials.id"],
            name=op.f("fk_recovery_settings_webhook_credential_id_credentials"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("funnel_id", name=op.f("uq_recovery_settings_funnel_id")),
    )
    op.create_index(
        op.f("ix_recovery_settings_organization_id"), "recovery_settings", ["organization_id"]
    )

    op.create_table(
        "recovery_checkout_starts",
        *_organization("recovery_checkout_starts"),
        sa.Column("funnel_id", sa.Uuid(), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("visitor_id", sa.String(length=64), nullable=True),
        sa.Column(
            "contact",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["funnel_id"],
            ["funnels.id"],
            name=op.f("fk_recovery_checkout_starts_funnel_id_funnels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["funnel_steps.id"],
            name=op.f("fk_recovery_checkout_starts_step_id_funnel_steps"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        op.f("ix_recovery_checkout_starts_organization_id"),
        "recovery_checkout_starts",
        ["organization_id"],
    )
    op.create_index(
        "uq_recovery_checkout_starts_organization_id_token",
        "recovery_checkout_starts",
        ["organization_id", "token"],
        unique=True,
    )
    op.create_index(
        "ix_recovery_checkout_starts_updated_at", "recovery_checkout_starts", ["updated_at"]
    )

    op.create_table(
        "recovery_cases",
        *_organization("recovery_cases"),
        sa.Column("funnel_id", sa.Uuid(), nullable=True),
        sa.Column("step_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("visitor_id", sa.String(length=64), nullable=True),
        sa.Column("utm_source", sa.String(length=255), nullable=True),
        sa.Column("utm_campaign", sa.String(length=255), nullable=True),
        sa.Column(
            "contact",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("product_name", sa.String(length=255), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="BRL", nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resume_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resumed_payment_id", sa.Uuid(), nullable=True),
        sa.Column("recovered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recovered_payment_id", sa.Uuid(), nullable=True),
        sa.Column("recovered_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('checkout_abandoned', 'pix_unpaid', 'boleto_unpaid')",
            name=op.f("ck_recovery_cases_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["funnel_id"],
            ["funnels.id"],
            name=op.f("fk_recovery_cases_funnel_id_funnels"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["funnel_steps.id"],
            name=op.f("fk_recovery_cases_step_id_funnel_steps"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_recovery_cases_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resumed_payment_id"],
            ["payments.id"],
            name=op.f("fk_recovery_cases_resumed_payment_id_payments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recovered_payment_id"],
            ["payments.id"],
            name=op.f("fk_recovery_cases_recovered_payment_id_payments"),
            ondelete="SET NULL",
        ),
    )
    op.create_index(op.f("ix_recovery_cases_organization_id"), "recovery_cases", ["organization_id"])
    op.create_index(op.f("ix_recovery_cases_funnel_id"), "recovery_cases", ["funnel_id"])
    op.create_index(
        "ix_recovery_cases_organization_id_detected_at",
        "recovery_cases",
        ["organization_id", "detected_at"],
    )
    op.create_index(
        "ix_recovery_cases_resumed_payment_id", "recovery_cases", ["resumed_payment_id"]
    )
    op.create_index(
        "uq_recovery_cases_payment_id",
        "recovery_cases",
        ["payment_id"],
        unique=True,
        postgresql_where=sa.text("payment_id IS NOT NULL"),
    )
    op.create_index(
        "uq_recovery_cases_checkout",
        "recovery_cases",
        ["organization_id", "step_id", "session_id"],
        unique=True,
        postgresql_where=sa.text("payment_id IS NULL"),
    )

    op.create_table(
        "recovery_actions",
        *_organization("recovery_actions"),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('webhook', 'whatsapp', 'email')",
            name=op.f("ck_recovery_actions_channel_known"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')",
            name=op.f("ck_recovery_actions_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["recovery_cases.id"],
            name=op.f("fk_recovery_actions_case_id_recovery_cases"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        op.f("ix_recovery_actions_organization_id"), "recovery_actions", ["organization_id"]
    )
    op.create_index(
        "uq_recovery_actions_case_id_channel",
        "recovery_actions",
        ["case_id", "channel"],
        unique=True,
    )
    op.create_index(
        "ix_recovery_actions_pending_next_attempt_at",
        "recovery_actions",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    for table in TABLES:
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
