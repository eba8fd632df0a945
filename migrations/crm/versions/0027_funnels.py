"""funnels: funnels, funnel_steps, checkout_configs, tracking_pixels (seed 002); the
payments' funnel and step ids become foreign keys

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEP_TYPES = "'capture', 'vsl', 'checkout', 'upsell', 'downsell', 'thankyou'"
PIXEL_TYPES = "'facebook', 'google', 'tiktok', 'custom'"


def _jsonb(name: str, default: str = "{}") -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name, postgresql.JSONB(astext_type=sa.Text()), server_default=default, nullable=False
    )


def _times(*names: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(n, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)
        for n in names
    ]


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organization_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_organization_id_organizations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "funnels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("niche", sa.String(length=100), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        _jsonb("settings"),
        sa.Column("domain_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        *_times("created_at", "updated_at"),
        _org_fk("funnels"),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["domains.domain_id"],
            name=op.f("fk_funnels_domain_id_domains"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_funnels_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnels")),
        sa.UniqueConstraint(
            "organization_id", "slug", name=op.f("uq_funnels_organization_id_slug")
        ),
    )
    op.create_index(op.f("ix_funnels_organization_id"), "funnels", ["organization_id"])
    op.create_index(op.f("ix_funnels_domain_id"), "funnels", ["domain_id"])

    op.create_table(
        "funnel_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("funnel_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("step_type", sa.String(length=20), nullable=False),
        sa.Column("order_index", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        _jsonb("settings"),
        _jsonb("content"),
        *_times("created_at", "updated_at"),
        sa.CheckConstraint(
            f"step_type IN ({STEP_TYPES})", name=op.f("ck_funnel_steps_step_type_known")
        ),
        sa.CheckConstraint("order_index >= 0", name=op.f("ck_funnel_steps_order_index_positive")),
        _org_fk("funnel_steps"),
        sa.ForeignKeyConstraint(
            ["funnel_id"],
            ["funnels.id"],
            name=op.f("fk_funnel_steps_funnel_id_funnels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnel_steps")),
        sa.UniqueConstraint("funnel_id", "slug", name=op.f("uq_funnel_steps_funnel_id_slug")),
        sa.UniqueConstraint(
            "funnel_id",
            "order_index",
            name=op.f("uq_funnel_steps_funnel_id_order_index"),
            deferrable=True,
            initially="DEFERRED",
        ),
    )
    op.create_index(op.f("ix_funnel_steps_organization_id"), "funnel_steps", ["organization_id"])
    op.create_index(op.f("ix_funnel_steps_funnel_id"), "funnel_steps", ["funnel_id"])

    op.create_table(
        "checkout_configs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("funnel_id", sa.Uuid(), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("product_name", sa.String(length=255), nullable=False),
        sa.Column("product_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="BRL", nullable=False),
        _jsonb("payment_methods", '["pix"]'),
        _jsonb("fields_config"),
        _jsonb("design_config"),
        _jsonb("upsell_config"),
        *_times("created_at", "updated_at"),
        sa.CheckConstraint("product_price > 0", name=op.f("ck_checkout_configs_price_positive")),
        _org_fk("checkout_configs"),
        sa.ForeignKeyConstraint(
            ["funnel_id"],
            ["funnels.id"],
            name=op.f("fk_checkout_configs_funnel_id_funnels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["funnel_steps.id"],
            name=op.f("fk_checkout_configs_step_id_funnel_steps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkout_configs")),
        sa.UniqueConstraint("step_id", name=op.f("uq_checkout_configs_step_id")),
    )
    op.create_index(
        op.f("ix_checkout_configs_organization_id"), "checkout_configs", ["organization_id"]
    )
    op.create_index(op.f("ix_checkout_configs_funnel_id"), "checkout_configs", ["funnel_id"])

    op.create_table(
        "tracking_pixels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("funnel_id", sa.Uuid(), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=True),
        sa.Column("pixel_type", sa.String(length=20), nullable=False),
        sa.Column("pixel_id", sa.String(length=255), nullable=False),
        sa.Column("event_name", sa.String(length=100), nullable=True),
        sa.Column("snippet", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        *_times("created_at", "updated_at"),
        sa.CheckConstraint(
            f"pixel_type IN ({PIXEL_TYPES})", name=op.f("ck_tracking_pixels_pixel_type_known")
        ),
        _org_fk("tracking_pixels"),
        sa.ForeignKeyConstraint(
            ["funnel_id"],
            ["funnels.id"],
            name=op.f("fk_tracking_pixels_funnel_id_funnels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["funnel_steps.id"],
            name=op.f("fk_tracking_pixels_step_id_funnel_steps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_pixels")),
    )
    op.create_index(
        op.f("ix_tracking_pixels_organization_id"), "tracking_pixels", ["organization_id"]
    )
    op.create_index(op.f("ix_tracking_pixels_funnel_id"), "tracking_pixels", ["funnel_id"])
    op.create_index(op.f("ix_tracking_pixels_step_id"), "tracking_pixels", ["step_id"])

    for table in ("funnels", "funnel_steps", "checkout_configs", "tracking_pixels"):
        for statement in tenant_rls_sql(table):
            op.execute(statement)

    # A payment keeps its funnel and step ids' meaning: deleting the funnel leaves it.
    op.create_foreign_key(
        op.f("fk_payments_funnel_id_funnels"),
        "payments",
        "funnels",
        ["funnel_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_payments_step_id_funnel_steps"),
        "payments",
        "funnel_steps",
        ["step_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_payments_funnel_id"), "payments", ["funnel_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payments_funnel_id"), table_name="payments")
    op.drop_constraint(op.f("fk_payments_step_id_funnel_steps"), "payments", type_="foreignkey")
    op.drop_constraint(op.f("fk_payments_funnel_id_funnels"), "payments", type_="foreignkey")
    op.drop_table("tracking_pixels")
    op.drop_table("checkout_configs")
    op.drop_table("funnel_steps")
    op.drop_table("funnels")
