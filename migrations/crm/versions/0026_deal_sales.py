"""crm: a deal's sale details (product, payment method, affiliate commission) and its
refund and chargeback (amount and date), read by the profit reports

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("product", sa.String(length=255)),
    ("payment_method", sa.String(length=40)),
    ("affiliate_commission", sa.Numeric(precision=14, scale=2)),
    ("refunded_amount", sa.Numeric(precision=14, scale=2)),
    ("refunded_at", sa.DateTime(timezone=True)),
    ("chargeback_amount", sa.Numeric(precision=14, scale=2)),
    ("chargeback_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("deals", sa.Column(name, kind, nullable=True))
    # Money is never negative; an amount comes with its date.
    op.create_check_constraint(
        "sale_amounts",
        "deals",
        "coalesce(affiliate_commission, 0) >= 0 AND coalesce(refunded_amount, 0) >= 0"
        " AND coalesce(chargeback_amount, 0) >= 0"
        " AND (refunded_amount IS NULL) = (refunded_at IS NULL)"
        " AND (chargeback_amount IS NULL) = (chargeback_at IS NULL)",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_deals_sale_amounts"), "deals", type_="check")
    for name, _ in reversed(COLUMNS):
        op.drop_column("deals", name)
