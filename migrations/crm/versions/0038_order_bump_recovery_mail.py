"""funnels: the order bump recorded apart on payments; e-mail: the `checkout_abandoned`
sequence trigger and per-recipient merge fields (a recovery's resume link); core: the
request limits' counters (`rate_limit_counters`)

Revision ID: 0038
Revises: 0035
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0038"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_TRIGGERS = "'lead_created', 'stage_changed', 'deal_won', 'pix_unpaid'"
_NEW_TRIGGERS = _OLD_TRIGGERS + ", 'checkout_abandoned'"


def _fields(table: str) -> None:
    op.add_column(
        table,
        sa.Column(
            "fields",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )


def _triggers(listed: str) -> None:
    name = op.f("ck_email_sequences_trigger_known")
    op.drop_constraint(name, "email_sequences", type_="check")
    op.create_check_constraint(name, "email_sequences", f"trigger IN ({listed})")


def upgrade() -> None:
    op.add_column("payments", sa.Column("bump_product_name", sa.String(255), nullable=True))
    op.add_column("payments", sa.Column("bump_amount", sa.Numeric(12, 2), nullable=True))
    op.add_column("payments", sa.Column("bump_accepted", sa.Boolean(), nullable=True))
    op.create_check_constraint(
        op.f("ck_payments_bump_complete"),
        "payments",
        "(bump_accepted IS NULL) = (bump_amount IS NULL) AND "
        "(bump_amount IS NULL) = (bump_product_name IS NULL) AND "
        "(bump_amount IS NULL OR bump_amount > 0)",
    )
    _fields("email_sequence_enrollments")
    _fields("email_messages")
    _triggers(_NEW_TRIGGERS)
    op.create_table(
        "rate_limit_counters",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("bucket", sa.String(40), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_rate_limit_counters_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "bucket", "key_hash", name=op.f("pk_rate_limit_counters")
        ),
    )
    for statement in tenant_rls_sql("rate_limit_counters"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("rate_limit_counters")
    op.execute("DELETE FROM email_sequences WHERE trigger = 'checkout_abandoned'")
    _triggers(_OLD_TRIGGERS)
    op.drop_column("email_messages", "fields")
    op.drop_column("email_sequence_enrollments", "fields")
    op.drop_constraint(op.f("ck_payments_bump_complete"), "payments", type_="check")
    op.drop_column("payments", "bump_accepted")
    op.drop_column("payments", "bump_amount")
    op.drop_column("payments", "bump_product_name")
